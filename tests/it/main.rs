//! One integration-test binary (faster linking on a 2-core CI).

mod cli;
mod common;
mod parity;
mod properties;
