//! API tests: the whole platform through the gateway, as clients see it.

mod helpers;
mod inventory;
