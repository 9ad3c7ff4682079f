//! The planted structures hold on generated data.

use super::*;
use polars::prelude::*;

/// Closed deals per account row: (won, closed), and the earliest won close date.
struct Deals {
    won: Vec<u32>,
    closed: Vec<u32>,
    first_win: Vec<Option<i32>>,
}

fn row_of(id: &str) -> usize {
    id[1..].parse::<usize>().unwrap() - 1
}

fn deals_by_account(g: &Generated) -> Deals {
    let n = g.accounts.height();
    let mut d = Deals {
        won: vec![0; n],
        closed: vec![0; n],
        first_win: vec![None; n],
    };
    let ids = g.deals.column("account_id").unwrap().str().unwrap().clone();
    let outcome = g.deals.column("outcome").unwrap().str().unwrap().clone();
    let closed = g.deals.column("closed_at").unwrap();
    let closed = closed.date().unwrap().physical().clone();
    for j in 0..g.deals.height() {
        let i = row_of(ids.get(j).unwrap());
        match outcome.get(j).unwrap() {
            "won" => {
                d.won[i] += 1;
                d.closed[i] += 1;
                let c = closed.get(j).unwrap();
                d.first_win[i] = Some(d.first_win[i].map_or(c, |f: i32| f.min(c)));
            }
            "lost" => d.closed[i] += 1,
            _ => assert!(closed.get(j).is_none()),
        }
    }
    d
}

/// Closed-deal win rate over the accounts `keep` selects.
fn rate(d: &Deals, keep: impl Fn(usize) -> bool) -> (f64, u32) {
    let (mut w, mut c) = (0, 0);
    for i in 0..d.won.len() {
        if keep(i) {
            w += d.won[i];
            c += d.closed[i];
        }
    }
    (f64::from(w) / f64::from(c), c)
}

fn f64s(df: &DataFrame, name: &str) -> Vec<f64> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap().str().unwrap().clone();
    c.iter().map(|v| v.map(str::to_string)).collect()
}

fn gen(structure: Structure, accounts: usize, seed: u64) -> Generated {
    generate(&GenerateParams {
        accounts,
        seed,
        structure,
        ..Default::default()
    })
    .unwrap()
}

/// The share of accounts in the fit group, and its closed-deal win rate
/// over the overall one.
fn fit_group_figures(g: &Generated, d: &Deals) -> (f64, f64, f64) {
    let n = g.fit_group.len();
    let share = g.fit_group.iter().filter(|&&f| f).count() as f64 / n as f64;
    let (overall, _) = rate(d, |_| true);
    let (fit, closed) = rate(d, |i| g.fit_group[i]);
    assert!(closed > 300, "{closed} closed fit-group deals");
    eprintln!("fit group {share:.4} of accounts, win rate {fit:.3} vs overall {overall:.3}");
    (share, overall, fit / overall)
}

#[test]
fn structure_a_plants_a_small_fit_group_winning_three_times_the_overall_rate() {
    let g = gen(Structure::A, 20_000, 1);
    let d = deals_by_account(&g);
    let (share, overall, ratio) = fit_group_figures(&g, &d);
    assert!((0.05..=0.07).contains(&share), "share {share:.4}");
    assert!((0.25..=0.40).contains(&overall), "overall {overall:.3}");
    assert!((2.5..=3.5).contains(&ratio), "ratio {ratio:.2}");
}

#[test]
fn structure_b_plants_another_small_fit_group_and_disqualifier() {
    let g = gen(Structure::B, 20_000, 2);
    let d = deals_by_account(&g);
    let (share, overall, ratio) = fit_group_figures(&g, &d);
    assert!((0.03..=0.05).contains(&share), "share {share:.4}");
    assert!((0.25..=0.40).contains(&overall), "overall {overall:.3}");
    assert!((2.0..=3.0).contains(&ratio), "ratio {ratio:.2}");
    let industry = strs(&g.accounts, "industry");
    let is = |i: usize, v: &str| industry[i].as_deref() == Some(v);
    let (edu, _) = rate(&d, |i| is(i, "Education"));
    let (gov, _) = rate(&d, |i| is(i, "Government"));
    assert!(edu < 0.25 * overall, "Education {edu:.3} vs {overall:.3}");
    assert!(gov > 0.5 * overall, "Government {gov:.3} vs {overall:.3}");
    // The fit rule is B's, not A's.
    let region = strs(&g.accounts, "region");
    for (i, r) in region.iter().enumerate() {
        if g.fit_group[i] {
            assert_eq!(r.as_deref(), Some("EMEA"));
            assert!(is(i, "Manufacturing") || is(i, "Logistics"));
        }
    }
}

/// Each of the fit rule's three conditions alone, or two of them, does
/// not find the group: near misses are common and convert near the
/// overall rate.
#[test]
fn near_misses_of_the_fit_rule_are_common_and_do_not_convert_like_the_group() {
    let g = gen(Structure::A, 20_000, 3);
    let d = deals_by_account(&g);
    let industry = strs(&g.accounts, "industry");
    let employees = f64s(&g.accounts, "employees");
    let techs = g
        .accounts
        .column("technologies")
        .unwrap()
        .list()
        .unwrap()
        .clone();
    let mut met = vec![0u8; g.fit_group.len()];
    for (i, t) in techs.amortized_iter().enumerate() {
        let t = t.unwrap();
        let sf = t
            .as_ref()
            .str()
            .unwrap()
            .iter()
            .any(|v| v == Some("Salesforce"));
        let ind = matches!(industry[i].as_deref(), Some("Fintech" | "SaaS"));
        let size = (200.0..=2000.0).contains(&employees[i]);
        met[i] = u8::from(sf) + u8::from(ind) + u8::from(size);
        assert_eq!(met[i] == 3, g.fit_group[i]);
    }
    let near = met.iter().filter(|&&m| m == 2).count();
    let fit = g.fit_group.iter().filter(|&&f| f).count();
    assert!(near > 3 * fit, "{near} near misses, {fit} in the group");
    let (overall, _) = rate(&d, |_| true);
    let (two, _) = rate(&d, |i| met[i] == 2);
    let (three, _) = rate(&d, |i| met[i] == 3);
    assert!(two < 1.3 * overall, "two of three {two:.3} vs {overall:.3}");
    assert!(three > 2.0 * two, "{three:.3} vs {two:.3}");
}

/// Intent is independent of fit, and moves the win rate strongly in A;
/// in B the signal is web visits and weaker.
#[test]
fn intent_drives_winning_in_a_and_less_so_in_b() {
    let spread = |s: Structure, seed: u64| {
        let g = gen(s, 20_000, seed);
        let d = deals_by_account(&g);
        let intent = f64s(&g.accounts, "intent_score");
        let (hi, _) = rate(&d, |i| intent[i] >= 65.0);
        let (lo, _) = rate(&d, |i| intent[i] <= 35.0);
        let mean = |keep: &dyn Fn(usize) -> bool| {
            let v: Vec<f64> = (0..intent.len())
                .filter(|&i| keep(i))
                .map(|i| intent[i])
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let by_fit = mean(&|i| g.fit_group[i]) - mean(&|i| !g.fit_group[i]);
        assert!(by_fit.abs() < 3.0, "intent by fit differs by {by_fit:.2}");
        hi / lo
    };
    let a = spread(Structure::A, 4);
    let b = spread(Structure::B, 4);
    assert!(a > 2.5, "A: high intent wins {a:.2}× low");
    assert!(b > 1.0 && b < 0.75 * a, "B: {b:.2}× vs A {a:.2}×");
}

#[test]
fn csm_assigned_is_true_exactly_when_a_won_deal_closed_by_the_as_of_date() {
    for s in [Structure::A, Structure::B] {
        let g = gen(s, 3_000, 5);
        let d = deals_by_account(&g);
        let csm = g
            .accounts
            .column("csm_assigned")
            .unwrap()
            .bool()
            .unwrap()
            .clone();
        for i in 0..g.accounts.height() {
            assert_eq!(csm.get(i), Some(d.won[i] > 0), "account row {i}");
        }
    }
}

/// Versions of one account are contiguous and never overlap, csm turns
/// true on the first win's close date, and the open version equals the
/// accounts table.
#[test]
fn history_versions_do_not_overlap_and_the_current_one_is_the_snapshot() {
    let g = gen(Structure::A, 3_000, 6);
    let d = deals_by_account(&g);
    let h = &g.account_history;
    let ids = strs(h, "account_id");
    let from = h
        .column("valid_from")
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .clone();
    let to = h
        .column("valid_to")
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .clone();
    let tier = strs(h, "tier");
    let csm = h.column("csm_assigned").unwrap().bool().unwrap().clone();
    let snap_tier = strs(&g.accounts, "tier");
    let snap_csm = g
        .accounts
        .column("csm_assigned")
        .unwrap()
        .bool()
        .unwrap()
        .clone();
    let mut versions: Vec<Vec<usize>> = vec![Vec::new(); g.accounts.height()];
    for r in 0..h.height() {
        versions[row_of(ids[r].as_deref().unwrap())].push(r);
    }
    let start = parse_date("2026-09-30").unwrap() - 1460;
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(from.get(v[0]), Some(start));
        for w in v.windows(2) {
            let end = to.get(w[0]).expect("only the last version is open");
            assert!(from.get(w[0]).unwrap() < end);
            assert_eq!(Some(end), from.get(w[1]), "contiguous, no overlap");
        }
        let last = *v.last().unwrap();
        assert_eq!(to.get(last), None);
        assert_eq!(tier[last], snap_tier[i]);
        assert_eq!(csm.get(last), snap_csm.get(i));
        assert_eq!(csm.get(v[0]), Some(false));
        let switched = (v.len() == 2).then(|| from.get(v[1]).unwrap());
        assert_eq!(switched, d.first_win[i], "account row {i}");
    }
}

#[test]
fn the_same_seed_gives_the_same_tables_and_structures_differ() {
    let a = gen(Structure::A, 500, 9);
    let again = gen(Structure::A, 500, 9);
    let b = gen(Structure::B, 500, 9);
    assert!(a.accounts.equals_missing(&again.accounts));
    assert!(a.deals.equals_missing(&again.deals));
    assert!(a.account_history.equals_missing(&again.account_history));
    assert_ne!(a.fit_group, b.fit_group);
}

/// Each pocket's share of accounts, and its closed-deal win rate.
fn pocket_figures(g: &Generated, d: &Deals, pocket: usize) -> (f64, f64) {
    let n = g.pocket.len();
    let share = g.pocket.iter().filter(|&&p| p == Some(pocket)).count() as f64 / n as f64;
    (share, rate(d, |i| g.pocket[i] == Some(pocket)).0)
}

/// Two pockets joined by OR, each about 3% of accounts and winning about
/// 65% against about 15% overall; the band about a fifth of accounts, as
/// strong, and closed on both sides (accounts just outside it win near the
/// overall rate).
#[test]
fn the_pocket_and_band_structures_plant_what_they_say() {
    let g = gen(Structure::Pockets, 20_000, 11);
    let d = deals_by_account(&g);
    let (overall, _) = rate(&d, |_| true);
    assert!((0.12..=0.20).contains(&overall), "overall {overall:.3}");
    for p in 0..2 {
        let (share, win) = pocket_figures(&g, &d, p);
        eprintln!("pocket {p}: {share:.4} of accounts, win rate {win:.3} vs {overall:.3}");
        assert!(
            (0.02..=0.04).contains(&share),
            "pocket {p} share {share:.4}"
        );
        assert!((0.55..=0.75).contains(&win), "pocket {p} win rate {win:.3}");
    }
    let industry = strs(&g.accounts, "industry");
    let region = strs(&g.accounts, "region");
    for (i, p) in g.pocket.iter().enumerate() {
        match p {
            Some(0) => assert_eq!(industry[i].as_deref(), Some("Healthcare")),
            Some(1) => assert_eq!(region[i].as_deref(), Some("APAC")),
            _ => {}
        }
    }
    let g = gen(Structure::Band, 20_000, 12);
    let d = deals_by_account(&g);
    let (share, win) = pocket_figures(&g, &d, 0);
    let (overall, _) = rate(&d, |_| true);
    eprintln!("band: {share:.4} of accounts, win rate {win:.3} vs {overall:.3}");
    assert!((0.15..=0.30).contains(&share), "band share {share:.4}");
    assert!(win > 2.5 * overall, "band {win:.3} vs {overall:.3}");
    let employees = f64s(&g.accounts, "employees");
    let (above, _) = rate(&d, |i| (1500.0..=2000.0).contains(&employees[i]));
    let (below, _) = rate(&d, |i| (200.0..=250.0).contains(&employees[i]));
    assert!(
        above < 0.5 * win && below < 0.5 * win,
        "{below:.3} {above:.3}"
    );
}

/// In the null structure no account is in a fit group, and the win rate
/// does not depend on any feature: not on industry, nor on size.
#[test]
fn the_null_structure_plants_nothing() {
    let g = gen(Structure::Null, 20_000, 13);
    let d = deals_by_account(&g);
    assert!(g.fit_group.iter().all(|&f| !f));
    let (overall, _) = rate(&d, |_| true);
    let industry = strs(&g.accounts, "industry");
    for ind in ["Fintech", "Government", "Education", "Healthcare"] {
        let (r, c) = rate(&d, |i| industry[i].as_deref() == Some(ind));
        // Six binomial standard errors: deals cluster in accounts, which
        // widens the spread beyond the binomial one.
        let se = (overall * (1.0 - overall) / f64::from(c)).sqrt();
        assert!(
            (r - overall).abs() < 6.0 * se,
            "{ind}: {r:.3} vs {overall:.3}"
        );
    }
}
