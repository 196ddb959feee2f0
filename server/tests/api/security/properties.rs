//! The promises, one test each, checked on the raw bytes of every output kind: a
//! restricted attribute's name (and a value only it holds) reaches exactly the roles the
//! policy names, and no other, whatever the path out.

use super::expect::Role;
use super::sweep::sweeps;

/// For every role: does any output contain any of `needles`? It must exactly for `allowed`.
fn reaches_exactly(needles: &[&str], allowed: &[Role]) {
    for (role, outputs) in sweeps() {
        for needle in needles {
            let found: Vec<&str> = outputs
                .iter()
                .filter(|o| o.text.contains(needle))
                .map(|o| o.uri.as_str())
                .collect();
            if allowed.contains(role) {
                assert!(
                    !found.is_empty(),
                    "{role:?} should see `{needle}` somewhere"
                );
            } else {
                assert!(found.is_empty(), "{role:?} sees `{needle}` in {found:?}");
            }
        }
    }
}

#[test]
fn anonymous_never_sees_pipes_anywhere() {
    // The pipes' own attribute names and the first pipe's number; the layer's title.
    let needles = ["管路番号", "布設年度", "W00001", "水道管路"];
    reaches_exactly(&needles, &[Role::Suido, Role::Contractor, Role::Admin]);
}

#[test]
fn ledger_fields_only_reach_kensetsu_and_admin() {
    let needles = ["台帳番号", "KR-00001", "舗装", "アスファルト"];
    reaches_exactly(&needles, &[Role::Kensetsu, Role::Admin]);
}

#[test]
fn survey_history_only_reaches_bunka_and_admin() {
    let needles = ["調査履歴", "最終調査日", "確認調査を実施"];
    reaches_exactly(&needles, &[Role::Bunka, Role::Admin]);
}

#[test]
fn cover_depth_only_reaches_suido_and_admin() {
    reaches_exactly(&["土被り"], &[Role::Suido, Role::Admin]);
}
