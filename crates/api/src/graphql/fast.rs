//! Resolving an object whose fields are mostly plain values without a future per field.
//!
//! async-graphql resolves every selected field of an object as its own boxed future in a
//! `FuturesUnordered`: two allocations, a task and a waker registration per field, which for a
//! page of 50 leads × 13 columns was the largest share of the server's time. [`Fast`] wraps
//! such an object: the fields it can compute from itself ([`ScalarFields`]) are computed in
//! place, in selection order; any other field (arguments, the context, a DataLoader) goes
//! through the object's own resolver, one after the other. The schema does not change: the
//! wrapper registers as the wrapped type.
//!
//! Semantics kept from async-graphql's `resolve_container`: fragments (named and inline)
//! apply by type condition, `@skip`/`@include` are already removed from the document before
//! execution, a response key selected twice is resolved once per selection and merged, and a
//! field whose resolver fails is reported as an error and left out.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult, Value,
};

/// An object whose argument-free fields can be answered from the object alone.
pub(crate) trait ScalarFields: ContainerType {
    /// The output value of field `name` (its schema name, not the alias), or `None` when it
    /// needs arguments, the context or I/O and must go through the resolver.
    fn scalar_field(&self, name: &str) -> Option<Value>;
}

/// `T`, resolved by [`resolve`] instead of a future per field.
pub(crate) struct Fast<T>(pub(crate) T);

impl<T: ScalarFields + OutputType> OutputType for Fast<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve(ctx, &self.0).await
    }
}

/// The object's selected fields, as async-graphql would answer them.
async fn resolve<T: ScalarFields + OutputType>(ctx: &ContextSelectionSet<'_>, root: &T) -> ServerResult<Value> {
    let mut selected = Vec::new();
    collect(ctx, root, &ctx.item.node, &mut selected)?;
    let mut results: IndexMap<Name, Value> = IndexMap::with_capacity(selected.len());
    for field in selected {
        let key = field.node.response_key().node.clone();
        let name = field.node.name.node.as_str();
        let plain = field.node.arguments.is_empty() && field.node.directives.is_empty();
        let value = if name == "__typename" {
            Value::String(root.introspection_type_name().into_owned())
        } else if let Some(value) = plain.then(|| root.scalar_field(name)).flatten() {
            value
        } else {
            match root.resolve_field(&ctx.with_field(field)).await {
                Ok(value) => value.unwrap_or_default(),
                Err(err) => {
                    ctx.add_error(err);
                    continue;
                }
            }
        };
        merge(&mut results, key, value);
    }
    Ok(if results.is_empty() { Value::Null } else { Value::Object(results) })
}

/// The fields of `set` that apply to `root`, fragments expanded, in document order.
fn collect<'a, T: OutputType>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
    set: &'a SelectionSet,
    out: &mut Vec<&'a Positioned<Field>>,
) -> ServerResult<()> {
    for selection in &set.items {
        let (condition, inner) = match &selection.node {
            Selection::Field(field) => {
                out.push(field);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let fragment = ctx
                    .query_env
                    .fragments
                    .get(name)
                    .ok_or_else(|| ServerError::new(format!(r#"Unknown fragment "{name}"."#), Some(spread.pos)))?;
                (Some(fragment.node.type_condition.node.on.node.as_str()), &fragment.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => (
                fragment.node.type_condition.as_ref().map(|c| c.node.on.node.as_str()),
                &fragment.node.selection_set.node,
            ),
        };
        if condition.is_none_or(|condition| applies(ctx, root, condition)) {
            collect(ctx, root, inner, out)?;
        }
    }
    Ok(())
}

/// Whether a fragment on `condition` applies to `root`: its own type or an interface it
/// implements.
fn applies<T: OutputType>(ctx: &ContextSelectionSet<'_>, root: &T, condition: &str) -> bool {
    let own = root.introspection_type_name();
    own == condition
        || ctx.schema_env.registry.implements.get(own.as_ref()).is_some_and(|interfaces| interfaces.contains(condition))
}

/// Adds `value` under `key`; a key already answered keeps its value, and objects selected
/// twice are merged field by field (lists of objects item by item), as GraphQL's field
/// merging asks.
fn merge(target: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    use async_graphql::indexmap::map::Entry;
    match (target.entry(key), value) {
        (Entry::Vacant(slot), value) => {
            slot.insert(value);
        }
        (Entry::Occupied(mut slot), Value::Object(more)) => {
            if let Value::Object(existing) = slot.get_mut() {
                for (k, v) in more {
                    merge(existing, k, v);
                }
            }
        }
        (Entry::Occupied(mut slot), Value::List(more)) => {
            if let Value::List(existing) = slot.get_mut() {
                for (item, extra) in existing.iter_mut().zip(more) {
                    if let (Value::Object(item), Value::Object(extra)) = (item, extra) {
                        for (k, v) in extra {
                            merge(item, k, v);
                        }
                    }
                }
            }
        }
        (Entry::Occupied(_), _) => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use chrono::{TimeZone as _, Utc};
    use reachspark_projections::queries::{DecisionRow, LeadRow};
    use uuid::Uuid;

    use super::Fast;
    use crate::graphql::audit::Decision;
    use crate::graphql::leads::Lead;

    fn row(filled: bool) -> LeadRow {
        let text = |s: &str| filled.then(|| s.to_owned());
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 12, 30, 15).unwrap();
        LeadRow {
            lead_id: Uuid::from_u128(7),
            name: text("Ada Lovelace"),
            position: text("Head of \"Partnerships\""),
            company: text("Analytical Engines\nLtd"),
            linkedin_url: text("https://linkedin.example/ada"),
            email: text("ada@example.com"),
            classification: text("Speaker"),
            quality_score: filled.then_some(9),
            contact_status: "Sent".to_owned(),
            last_contacted: filled.then_some(at),
            message_sent: text("Hello"),
            response: text("Yes, gladly"),
            response_sentiment: text("Positive"),
            response_intent: text("Interested"),
            assigned_to: filled.then(|| Uuid::from_u128(9)),
            notes: text("call after 3"),
            campaign_id: filled.then(|| Uuid::from_u128(11)),
            source: text("csv"),
            opted_out: filled,
            erased: !filled,
            stream_version: 12,
            updated_at: Some(at),
        }
    }

    fn decision(propensity: Option<f64>) -> Decision {
        Decision::from(DecisionRow {
            event_id: Uuid::from_u128(1),
            subject_type: "lead".to_owned(),
            subject_id: Uuid::from_u128(7),
            event_type: "LeadScored".to_owned(),
            kind: "score".to_owned(),
            output: "9".to_owned(),
            decided_by_kind: "agent".to_owned(),
            decided_by: "lead_finder".to_owned(),
            engine: "rules".to_owned(),
            policy_version: Some("v3".to_owned()),
            provider: None,
            model: None,
            prompt_hash: Some("ab12".to_owned()),
            response_hash: None,
            confidence: 0.875,
            propensity,
            factors: serde_json::json!([{"name": "title", "value": "VP", "contribution": -0.0}, {"n": 1e300}]),
            rationale: "senior title, \u{1F600} speaker".to_owned(),
            based_on: vec![Uuid::from_u128(2), Uuid::from_u128(3)],
            global_position: 4_000_000_123,
            decided_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        })
    }

    /// The same objects twice: as async-graphql resolves them, and through [`Fast`].
    struct Query;

    #[Object]
    impl Query {
        async fn plain_leads(&self) -> Vec<Lead> {
            vec![Lead::new(row(true), true), Lead::new(row(true), false), Lead::new(row(false), true)]
        }
        async fn fast_leads(&self) -> Vec<Fast<Lead>> {
            vec![Fast(Lead::new(row(true), true)), Fast(Lead::new(row(true), false)), Fast(Lead::new(row(false), true))]
        }
        async fn plain_decisions(&self) -> Vec<Decision> {
            vec![decision(Some(0.25)), decision(None)]
        }
        async fn fast_decisions(&self) -> Vec<Fast<Decision>> {
            vec![Fast(decision(Some(0.25))), Fast(decision(None))]
        }
    }

    /// The field names of `type_name`, but those that need the request's context.
    async fn fields(schema: &Schema<Query, EmptyMutation, EmptySubscription>, type_name: &str) -> Vec<String> {
        let out = schema.execute(format!(r#"{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}"#)).await;
        let out = out.data.into_json().unwrap();
        let names = out["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_owned());
        names.filter(|name| !matches!(name.as_str(), "decisions" | "assignedAccount")).collect()
    }

    /// Both ways answer every field, in every shape of selection, with the same JSON text:
    /// the same values and the same key order.
    #[tokio::test]
    async fn fast_objects_answer_exactly_as_async_graphql_does() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        for (type_name, plain, fast) in
            [("Lead", "plainLeads", "fastLeads"), ("Decision", "plainDecisions", "fastDecisions")]
        {
            let all = fields(&schema, type_name).await;
            assert!(all.len() > 10, "{type_name}: {all:?}");
            let every = all.join(" ");
            let reversed = all.iter().rev().cloned().collect::<Vec<_>>().join(" ");
            let (first, last) = (&all[0], &all[all.len() - 1]);
            let selections = [
                every.clone(),
                reversed,
                format!("__typename {every} again: {first} {first}"),
                format!("... on {type_name} {{ {last} }} {first} ...F"),
                format!("{first} ... {{ {every} }} {last}"),
                format!("{first} {last} @skip(if: true) x: {last} @include(if: true)"),
            ];
            for selection in selections {
                let fragment = if selection.contains("...F") {
                    format!("fragment F on {type_name} {{ {last} {first} }}")
                } else {
                    String::new()
                };
                let query = |root: &str| format!("{{ items: {root} {{ {selection} }} }} {fragment}");
                let a = schema.execute(query(plain)).await;
                let b = schema.execute(query(fast)).await;
                assert!(a.errors.is_empty() && b.errors.is_empty(), "{:?} {:?}", a.errors, b.errors);
                let (a, b) = (serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
                assert_eq!(a, b, "{type_name} with `{selection}`");
            }
        }
    }
}
