//! The agents' I/O adapters against real servers on loopback: SMTP (Python's aiosmtpd), a
//! LinkedIn automation provider and a webhook receiver (axum), and web pages (axum serving
//! HTML fixtures).

mod notify;
mod provider;
mod smtp;
mod support;
mod web;
