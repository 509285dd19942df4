//! `schema.graphql` at the repository root is generated from the code; this fails when it
//! drifts. Regenerate with `UPDATE_SCHEMA=1 cargo test -p reachspark-api --test api schema`.

#[test]
fn the_checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
    let sdl = reachspark_api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).expect("write schema.graphql");
    }
    let checked_in = std::fs::read_to_string(path).expect("schema.graphql exists at the repository root");
    assert!(
        checked_in == sdl,
        "schema.graphql is out of date: run UPDATE_SCHEMA=1 cargo test -p reachspark-api --test api schema"
    );
}
