//! One integration-test binary (faster linking on a 2-core CI).

mod cli;
mod common;
mod extending;
mod graph;
mod models;
mod models_api;
mod models_cli;
mod parity;
mod pipeline;
mod properties;
mod selection;
mod stats;
