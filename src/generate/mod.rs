//! (stub until the generator lands)
