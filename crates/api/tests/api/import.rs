//! `importLeads` with a hostile sheet: 10,000 rows, another encoding, missing cells, formula
//! injection, duplicates. Good rows are kept, bad rows reported by line, a retry writes nothing.

use base64::Engine as _;
use reachspark_api::auth::Role;
use serde_json::{json, Value};

use crate::mutations::{campaign_and_account, person, Api};

const IMPORT: &str = "mutation($c: ID!, $b: String, $t: String, $k: String, $dry: Boolean) {
    importLeads(campaignId: $c, csvBase64: $b, csv: $t, filename: \"speakers.csv\", idempotencyKey: $k, dryRun: $dry) {
        imported duplicates rejected dryRun ignoredColumns endCursor
        rows { line status leadId errors { column message } warnings } } }";

fn hostile_sheet() -> Vec<u8> {
    let mut csv = b"Lead ID,Name,Position,Company,LinkedIn URL,Classification,Notes\n".to_vec();
    for n in 0..9_995 {
        csv.extend_from_slice(format!(",Person {n},CTO,Company {n},linkedin.com/in/person-{n},Speaker,\n").as_bytes());
    }
    csv.extend_from_slice(b",Jos\xe9 Latin1,CTO,Acme,linkedin.com/in/jose,,\n"); // line 9997
    csv.extend_from_slice(b",No Url,CTO,Acme,,,\n"); // 9998
    csv.extend_from_slice(b",\"=cmd|' /C calc'!A0\",Boss,Evil,linkedin.com/in/evil,,\"@SUM(1+1)\"\n"); // 9999
    csv.extend_from_slice(b",Person 7 again,CTO,Company 7,https://www.LinkedIn.com/in/PERSON-7/,,\n"); // 10000
    csv.extend_from_slice(b",Bad Scheme,CTO,Acme,javascript:alert(1),,\n"); // 10001
    csv
}

fn rows_with(out: &Value, status: &str) -> Vec<Value> {
    out["importLeads"]["rows"].as_array().unwrap().iter().filter(|r| r["status"] == status).cloned().collect()
}

#[tokio::test]
async fn a_hostile_sheet_keeps_good_rows_reports_bad_ones_and_retries_safely() {
    let api = Api::new().await;
    let (campaign, _) = campaign_and_account(&api).await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(hostile_sheet());
    let before = api.event_count().await;
    let vars = json!({ "c": campaign, "b": encoded, "k": "import-1" });
    let out = api.ok(person(Role::Operator), IMPORT, vars.clone()).await;
    let result = &out["importLeads"];
    assert_eq!(
        (result["imported"].as_i64(), result["duplicates"].as_i64()),
        (Some(9_996), Some(1)),
        "{}",
        result["rejected"]
    );
    assert_eq!(result["rejected"], 3);
    assert_eq!(result["ignoredColumns"], json!(["Lead ID", "Classification"]));

    let rejected = rows_with(&out, "REJECTED");
    let lines: Vec<i64> = rejected.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![9_997, 9_998, 10_001]);
    assert_eq!(rejected[0]["errors"][0]["column"], "Name");
    assert!(rejected[0]["errors"][0]["message"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(rejected[2]["errors"][0]["column"], "LinkedIn URL");
    let duplicate = &rows_with(&out, "DUPLICATE")[0];
    assert_eq!(duplicate["line"], 10_000);
    assert_eq!(duplicate["errors"][0]["message"], "the same person as line 9", "{duplicate}");

    let evil = out["importLeads"]["rows"].as_array().unwrap().iter().find(|r| r["line"] == 9_999).unwrap().clone();
    assert_eq!(evil["status"], "IMPORTED");
    assert_eq!(evil["warnings"].as_array().unwrap().len(), 2, "name and note defused: {evil}");
    let lead: String = evil["leadId"].as_str().unwrap().to_owned();
    // One discovery per imported row plus the one note.
    assert_eq!(api.event_count().await, before + 9_996 + 1);
    let name: String = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE stream_id = $1::uuid AND event_type = 'LeadDiscovered'",
    )
    .bind(&lead)
    .fetch_one(api.store.pool())
    .await
    .unwrap();
    assert!(!name.contains("=cmd"), "personal data is stored sealed, never in clear");

    // The same key: the same answer, nothing written again.
    let again = api.ok(person(Role::Operator), IMPORT, vars).await;
    assert_eq!(again["importLeads"]["imported"], 9_996);
    assert_eq!(again["importLeads"]["endCursor"], out["importLeads"]["endCursor"]);
    assert_eq!(api.event_count().await, before + 9_997);
    // Without the key, every person is already known.
    let fresh = api.ok(person(Role::Operator), IMPORT, json!({ "c": campaign, "b": encoded })).await;
    assert_eq!(
        (fresh["importLeads"]["imported"].as_i64(), fresh["importLeads"]["duplicates"].as_i64()),
        (Some(0), Some(9_997))
    );
    assert_eq!(api.event_count().await, before + 9_997);
}

#[tokio::test]
async fn a_file_that_is_no_lead_sheet_is_refused_whole_and_dry_runs_write_nothing() {
    let api = Api::new().await;
    let (campaign, _) = campaign_and_account(&api).await;
    let before = api.event_count().await;
    let e =
        api.fails(person(Role::Operator), IMPORT, json!({ "c": campaign, "t": "Company,Position\nAcme,CTO\n" })).await;
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("VALIDATION"), Some("csv")));
    let sheet = "Name,Email\nAda,ada@example.com\nBob,not-an-email\n";
    let out = api.ok(person(Role::Operator), IMPORT, json!({ "c": campaign, "t": sheet, "dry": true })).await;
    assert_eq!(rows_with(&out, "VALID").len(), 1);
    assert_eq!(rows_with(&out, "REJECTED")[0]["errors"][0]["column"], "Email");
    let analyst = api.fails(person(Role::Analyst), IMPORT, json!({ "c": campaign, "t": sheet })).await;
    assert_eq!(analyst["code"], "FORBIDDEN");
    assert_eq!(api.event_count().await, before);
}
