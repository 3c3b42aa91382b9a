//! One integration-test binary (faster linking on a 2-core CI).

mod api;
mod cli;
mod cli_defaults;
mod common;
mod extending;
mod graph;
mod honest;
mod io_robust;
mod models;
mod models_api;
mod models_cli;
mod parity;
mod path_accuracy;
mod pipeline;
mod properties;
mod seams;
mod selection;
mod stats;
mod weights;
