//! One integration-test binary (faster linking on a 2-core CI).

mod cli;
mod cli_defaults;
mod common;
mod extending;
mod graph;
mod honest;
mod io_robust;
mod models;
mod parity;
mod path_accuracy;
mod pipeline;
mod properties;
mod selection;
mod stats;
