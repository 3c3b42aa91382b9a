//! One integration-test binary (faster linking on a 2-core CI).

mod api;
mod cli;
mod common;
mod extending;
mod graph;
mod io_robust;
mod models;
mod models_api;
mod models_cli;
mod parity;
mod pipeline;
mod properties;
mod selection;
mod stats;
mod weights;
