//! API tests: the whole platform through the gateway, as clients see it.

mod auth;
mod booking;
mod events;
mod flash_sale;
mod gateway;
mod helpers;
mod inventory;
mod notification;
mod queue;
mod search;
mod security;
mod tickets;
mod waitlist;
