#![deny(clippy::all)]
pub mod node;
