//! GraphQL over HTTP through the router: media types, status codes, and each way the request
//! parameters can be wrong (the cases `scripts/graphql-http-audit` checks against a live server).

use axum::body::Body;
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use axum::http::{Request, StatusCode};
use reachspark_api::auth::Role;
use reachspark_api::http::Limits;
use serde_json::json;

use crate::harness::{app, from_peer, post, post_body, send, token};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

fn accepting(mut request: Request<Body>, accept: &str) -> Request<Body> {
    request.headers_mut().insert(ACCEPT, accept.parse().unwrap());
    request
}

fn get(query_string: &str, accept: &str) -> Request<Body> {
    let request = Request::get(format!("/graphql?{query_string}")).header(ACCEPT, accept).body(Body::empty());
    from_peer(request.unwrap(), [127, 0, 0, 1])
}

#[tokio::test]
async fn the_answer_comes_in_the_media_type_the_client_accepts() {
    let app = app(Limits::default()).await;
    for (accept, expected) in [
        (None, JSON),
        (Some("application/json"), JSON),
        (Some("*/*"), JSON),
        (Some("application/graphql-response+json"), GRAPHQL_RESPONSE),
        (Some("application/graphql-response+json, application/json;q=0.9"), GRAPHQL_RESPONSE),
    ] {
        let mut request = post("{ __typename }", None);
        if let Some(accept) = accept {
            request = accepting(request, accept);
        }
        let reply = send(&app.router, request).await;
        assert_eq!((reply.status, reply.header(CONTENT_TYPE)), (StatusCode::OK, Some(expected)), "{accept:?}");
        assert_eq!(reply.json(), json!({ "data": { "__typename": "QueryRoot" } }), "{accept:?}");
    }
    let reply = send(&app.router, accepting(post("{ __typename }", None), "text/html")).await;
    assert_eq!((reply.status, reply.code().as_deref()), (StatusCode::NOT_ACCEPTABLE, Some("VALIDATION")));
}

#[tokio::test]
async fn request_errors_are_400_for_graphql_response_json_and_200_for_json_and_have_no_data() {
    let app = app(Limits::default()).await;
    let cases = [
        json!({ "query": "{" }),
        json!({ "query": "{ noSuchField }" }),
        json!({ "query": "query($id: ID!) { __typename }", "variables": { "id": null } }),
        json!({ "query": "query A { __typename }", "operationName": "B" }),
    ];
    for body in cases {
        for (accept, status) in
            [("application/graphql-response+json", StatusCode::BAD_REQUEST), ("application/json", StatusCode::OK)]
        {
            let reply = send(&app.router, accepting(post_body(body.to_string(), None), accept)).await;
            let out = reply.json();
            assert_eq!(reply.status, status, "{body} as {accept}: {out}");
            assert!(out.get("data").is_none(), "no data entry: {out}");
            assert_eq!(reply.code().as_deref(), Some("VALIDATION"), "every error has a code: {out}");
        }
    }
}

#[tokio::test]
async fn a_field_error_is_still_a_200_with_data() {
    let app = app(Limits::default()).await;
    let request = accepting(post("{ auditVerify { intact } }", None), "application/graphql-response+json");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let out = reply.json();
    assert_eq!(out["data"], serde_json::Value::Null, "{out}");
    assert_eq!(out["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{out}");
    assert_eq!(out["errors"][0]["path"], json!(["auditVerify"]));
}

#[tokio::test]
async fn malformed_parameters_are_400_with_a_message_naming_them() {
    let app = app(Limits::default()).await;
    for (body, message) in [
        ("{ \"not a JSON".to_owned(), "the request body is not a JSON object: it does not parse"),
        (String::new(), "the request body is not a JSON object: it is empty"),
        (
            "[{\"query\":\"{ __typename }\"}]".to_owned(),
            "the request body is not a JSON object: batched requests are not supported",
        ),
        ("42".to_owned(), "the request body is not a JSON object: it is another JSON value"),
        (json!({ "qeury": "{ __typename }" }).to_string(), "query: missing"),
        (json!({ "query": 0 }).to_string(), "query: must be a string"),
        (json!({ "query": ["{ __typename }"] }).to_string(), "query: must be a string"),
        (json!({ "query": "{ __typename }", "operationName": false }).to_string(), "operationName: must be a string"),
        (json!({ "query": "{ __typename }", "variables": "{}" }).to_string(), "variables: must be a map"),
        (json!({ "query": "{ __typename }", "variables": [1] }).to_string(), "variables: must be a map"),
        (json!({ "query": "{ __typename }", "extensions": 0 }).to_string(), "extensions: must be a map"),
    ] {
        for accept in ["application/json", "application/graphql-response+json"] {
            let reply = send(&app.router, accepting(post_body(body.clone(), None), accept)).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                reply.json(),
                json!({ "errors": [{ "message": message, "extensions": { "code": "VALIDATION" } }] }),
                "{body}"
            );
        }
    }
    // Null optional parameters and maps are fine.
    let fine = json!({ "query": "{ __typename }", "operationName": null, "variables": null, "extensions": { "a": 1 } });
    let reply = send(&app.router, post_body(fine.to_string(), None)).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, json!({ "data": { "__typename": "QueryRoot" } })));
}

#[tokio::test]
async fn a_post_must_be_json_and_utf8() {
    let app = app(Limits::default()).await;
    for content_type in
        [None, Some("text/plain"), Some("application/graphql"), Some("application/json; charset=latin1")]
    {
        let mut builder = Request::post("/graphql");
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        let request = builder.body(Body::from(json!({ "query": "{ __typename }" }).to_string())).unwrap();
        let reply = send(&app.router, from_peer(request, [127, 0, 0, 1])).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert_eq!(reply.code().as_deref(), Some("VALIDATION"));
    }
    let mut utf8 = post(r#"{ __type(name: "Run🏃Swim🏊") { name } }"#, None);
    utf8.headers_mut().insert(CONTENT_TYPE, "application/json; charset=UTF-8".parse().unwrap());
    let reply = send(&app.router, utf8).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, json!({ "data": { "__type": null } })));
}

#[tokio::test]
async fn get_runs_queries_with_json_variables_and_refuses_mutations() {
    let app = app(Limits::default()).await;
    let query = "query=query%20T(%24n%3A%20String!)%20%7B%20__type(name%3A%20%24n)%20%7B%20name%20%7D%20%7D\
                 &variables=%7B%22n%22%3A%22QueryRoot%22%7D";
    let reply = send(&app.router, get(query, "application/graphql-response+json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({ "data": { "__type": { "name": "QueryRoot" } } }));

    for mutation in ["query=mutation%20%7B%20__typename%20%7D", "query=subscription%20%7B%20__typename%20%7D"] {
        let reply = send(&app.router, get(mutation, "application/json")).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{mutation}");
        assert_eq!(reply.header(ALLOW), Some("POST"));
        assert_eq!(reply.code().as_deref(), Some("VALIDATION"));
    }
    // The operation picked by name decides, not the first one in the document.
    let picked = "query=query%20Q%20%7B%20__typename%20%7D%20mutation%20M%20%7B%20__typename%20%7D&operationName=M";
    assert_eq!(send(&app.router, get(picked, "application/json")).await.status, StatusCode::METHOD_NOT_ALLOWED);

    let reply = send(&app.router, get("variables=%7Bbroken", "application/json")).await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("variables: must be JSON"))
    );
    let reply = send(&app.router, get("", "application/json")).await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("query: missing"))
    );
}

#[tokio::test]
async fn other_methods_are_405_and_the_probes_need_no_token() {
    let app = app(Limits::default()).await;
    let put = Request::put("/graphql").body(Body::empty()).unwrap();
    assert_eq!(send(&app.router, put).await.status, StatusCode::METHOD_NOT_ALLOWED);
    for probe in ["/healthz", "/readyz"] {
        let reply = send(&app.router, Request::get(probe).body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{probe}: {}", reply.text());
    }
    // A valid token reaches the resolvers.
    let reply = send(&app.router, post("{ auditVerify { intact } }", Some(&token(Role::Auditor)))).await;
    assert_eq!(reply.json(), json!({ "data": { "auditVerify": { "intact": true } } }));
}

/// The answer's keys come in the order the selection asked for them (GraphQL spec §7.2.2:
/// the serialized map preserves the selection's order), aliases and fragments included — no
/// longer sorted by name. (Not asserted across root fields: async-graphql inserts fields that
/// wait on the database in the order they finish.)
#[tokio::test]
async fn keys_come_back_in_selection_order() {
    let app = app(Limits::default()).await;
    crate::harness::seed(&app.store, 2).await;
    let query = "{ zz: leads(first: 1) { pageInfo { hasNextPage } edges { node { updatedAt ...F id \
                 contactStatus } cursor } } } fragment F on Lead { version classification }";
    let reply = send(&app.router, post(query, Some(&token(Role::Admin)))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = reply.text();
    let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("no {key} in {text}"));
    let order = ["zz", "pageInfo", "edges", "updatedAt", "version", "classification", "id", "contactStatus", "cursor"];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}: {text}", pair[0], pair[1]);
    }
}
