//! API tests: the whole platform through the gateway, as clients see it.

mod auth;
mod events;
mod gateway;
mod helpers;
mod inventory;
mod booking;
mod flash_sale;
mod notification;
mod search;
mod queue;
mod security;
