//! User-facing estimators (builder style, scikit-learn names and defaults).
//! They return a [`Fit`](crate::Fit) (see [`crate::model`]).

mod elastic_net;
mod graph;
mod per_task;
mod relations;
mod spec;

pub use elastic_net::{GramMode, MultiTaskElasticNet, MultiTaskLasso, alpha_max};
pub use graph::GraphMultiTask;
pub use relations::{RelationCv, RelationFit, RelationLearning};
