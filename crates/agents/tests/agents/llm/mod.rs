mod failures;
mod limits;
mod profile;
mod reply_and_draft;
mod server;
mod support;
