//! One integration-test binary (faster linking on a 2-core CI).

mod common;
mod parity;
mod properties;
