//! (stub until IO lands)
