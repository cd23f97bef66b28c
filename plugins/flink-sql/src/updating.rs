//! Whether a statement writes an updating result: a changelog with updates or deletes, which
//! an append-only table (a topic without `'changelog.mode' = 'upsert'`) cannot take, and
//! which Flink refuses only once the statement runs.
//!
//! Flink's planner decides this when it plans the job (its changelog-mode inference); this
//! module approximates it for a render-time warning. Where it cannot tell, it says
//! "appending": a missed warning is a failure Flink still reports, a false one would be noise
//! on every render.
//!
//! A result updates when some SELECT in it (a subquery, a CTE, a view it reads):
//! - aggregates without a window (a window table function's `window_start`/`window_end`, or a
//!   group window `TUMBLE(...)`), with or without GROUP BY, or is DISTINCT;
//! - joins with a regular outer join: `LEFT`, `RIGHT` or `FULL` other than a temporal or
//!   lookup join (`FOR SYSTEM_TIME AS OF`), an interval join (its condition bounds time with
//!   an `INTERVAL`), a window join (on `window_start`/`window_end`) or a row's own expansion
//!   (`LATERAL TABLE(...)`, `UNNEST`);
//! - ranks (`ROW_NUMBER()`, `RANK()`, `DENSE_RANK()` over a partition, written in the
//!   `OVER` or in a `WINDOW w AS (...)` it names: Top-N and deduplication), except within a
//!   window (partitioned by `window_start` and `window_end`) or ordered ascending by
//!   processing time (`p AS PROCTIME()`): keeping the first row by event time or the last
//!   row updates;
//! - or reads, other than as a temporal join's versioned table, a table of this SQL whose
//!   changelog carries updates (`'changelog.mode'` `upsert` or `retract`) or a view whose
//!   result updates.

use crate::parse::Parsed;
use crate::tables;
use sqlparser::ast::{
    CreateTable, CreateTableOptions, DataType, Expr, Function, JoinConstraint, JoinOperator,
    NamedWindowDefinition, NamedWindowExpr, OrderByExpr, OrderBySort, Query, Select, SelectItem,
    Statement, TableFactor, Visit, Visitor, WindowType,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

/// What the SQL's tables and views carry, for [`Changelogs::updates`].
#[derive(Debug, Default)]
pub struct Changelogs {
    /// Tables and views of the SQL (by the name statements read them by, after renames)
    /// whose changelog carries updates.
    updating: BTreeSet<String>,
    /// The SQL's processing-time columns (`p AS PROCTIME()`), by name.
    proctime: BTreeSet<String>,
}

impl Changelogs {
    /// From the parsed SQL after its tables are renamed to their topics, and the tables (by
    /// those names) that take updates ([`takes_updates`]). Views are followed through views
    /// they read, however deep, in one pass over the reads.
    pub fn of(parsed: &[Parsed], updating_tables: BTreeSet<String>) -> Self {
        let mut this = Changelogs {
            updating: updating_tables,
            proctime: proctime_columns(parsed),
        };
        let views: Vec<(String, &Query)> = parsed
            .iter()
            .filter_map(|p| match &p.statement {
                Statement::CreateView(v) => Some((tables::table_name(&v.name), &*v.query)),
                _ => None,
            })
            .collect();
        // Who reads each name, then a walk from every updating name to its readers.
        let mut readers: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (view, query) in &views {
            for read in reads(query) {
                readers.entry(read).or_default().push(view);
            }
        }
        let mut todo: Vec<String> = this.updating.iter().cloned().collect();
        todo.extend(
            views
                .iter()
                .filter(|(_, q)| this.computes_updates(q))
                .map(|(v, _)| v.clone()),
        );
        while let Some(name) = todo.pop() {
            this.updating.insert(name.clone());
            for reader in readers.get(&name).into_iter().flatten() {
                if !this.updating.contains(*reader) {
                    todo.push((*reader).to_string());
                }
            }
        }
        this
    }

    /// Whether a statement's query (an INSERT's source, a CTAS's query) writes an updating
    /// result.
    pub fn updates(&self, query: &Query) -> bool {
        self.computes_updates(query) || reads(query).iter().any(|r| self.updating.contains(r))
    }

    /// Whether some SELECT of the query itself makes updates (not counting what it reads).
    fn computes_updates(&self, query: &Query) -> bool {
        struct Find<'a>(&'a Changelogs, bool);
        impl Visitor for Find<'_> {
            type Break = ();
            fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
                if self.0.select_updates(select) {
                    self.1 = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
        }
        let mut find = Find(self, false);
        let _ = query.visit(&mut find);
        find.1
    }

    /// Whether one SELECT's result updates (see the module's list).
    fn select_updates(&self, select: &Select) -> bool {
        let projected: Vec<&Expr> = select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                _ => None,
            })
            .collect();
        aggregates_without_window(select, &projected)
            || select
                .from
                .iter()
                .flat_map(|t| &t.joins)
                .any(|j| regular_outer_join(&j.join_operator, &j.relation))
            || projected
                .iter()
                .any(|e| self.ranks_with_updates(e, &select.named_window))
    }

    /// Whether an expression holds a rank over a partition that updates: not within a
    /// window, not ordered ascending by processing time alone. `named` are the SELECT's
    /// `WINDOW w AS (...)` definitions a rank's `OVER w` may name.
    fn ranks_with_updates(&self, expr: &Expr, named: &[NamedWindowDefinition]) -> bool {
        struct Find<'a>(&'a Changelogs, &'a [NamedWindowDefinition], bool);
        impl Visitor for Find<'_> {
            type Break = ();
            fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
                if let Expr::Function(f) = expr
                    && self.0.rank_updates(f, self.1)
                {
                    self.2 = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
            fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
                // A scalar subquery is its own SELECT.
                ControlFlow::Break(())
            }
        }
        let mut find = Find(self, named, false);
        let _ = expr.visit(&mut find);
        find.2
    }

    /// Whether one function call is a rank whose result updates.
    fn rank_updates(&self, f: &Function, named: &[NamedWindowDefinition]) -> bool {
        let name = f.name.to_string().to_ascii_uppercase();
        if !matches!(name.as_str(), "ROW_NUMBER" | "RANK" | "DENSE_RANK") {
            return false;
        }
        let Some(over) = &f.over else {
            return false;
        };
        let Some((partition_by, order_by)) = window_of(over, named) else {
            // `OVER w` naming no window of this SELECT: Flink refuses it; not this check's.
            return false;
        };
        let windowed = ["window_start", "window_end"]
            .iter()
            .all(|w| partition_by.iter().any(|e| is_window_bound(e, w)));
        let first_by_processing_time = match order_by {
            [only] => {
                !matches!(only.options.sort, Some(OrderBySort::Desc))
                    && (last_name(&only.expr).is_some_and(|n| self.proctime.contains(n))
                        || is_call(&only.expr, "PROCTIME"))
            }
            _ => false,
        };
        !windowed && !first_by_processing_time
    }
}

/// The partition and order of the window `over` names: its own specification, or the
/// SELECT's `WINDOW w AS (...)` it names or refines (`OVER (w ORDER BY ts)`), however
/// deep; more lookups than there are definitions is a cycle, and names no window.
fn window_of<'a>(
    over: &'a WindowType,
    named: &'a [NamedWindowDefinition],
) -> Option<(&'a [Expr], &'a [OrderByExpr])> {
    let (mut partition, mut order): (&[Expr], &[OrderByExpr]) = (&[], &[]);
    let mut next = match over {
        WindowType::WindowSpec(spec) => {
            (partition, order) = (&spec.partition_by, &spec.order_by);
            spec.window_name.as_ref()
        }
        WindowType::NamedWindow(name) => Some(name),
    };
    let mut seen = 0;
    while let Some(name) = next {
        seen += 1;
        if seen > named.len() {
            return None; // a cycle of names
        }
        let NamedWindowDefinition(_, expr) = named.iter().find(|d| d.0.value == name.value)?;
        next = match expr {
            NamedWindowExpr::NamedWindow(other) => Some(other),
            NamedWindowExpr::WindowSpec(spec) => {
                if partition.is_empty() {
                    partition = &spec.partition_by;
                }
                if order.is_empty() {
                    order = &spec.order_by;
                }
                spec.window_name.as_ref()
            }
        };
    }
    Some((partition, order))
}

/// Whether a lowered table takes updates: its `'changelog.mode'` is `upsert` or `retract`.
pub fn takes_updates(table: &CreateTable) -> bool {
    let CreateTableOptions::With(options) = &table.table_options else {
        return false;
    };
    options.iter().any(|o| {
        let text = o.to_string();
        text.starts_with("'changelog.mode' = ")
            && (text.ends_with("'upsert'") || text.ends_with("'retract'"))
    })
}

/// An aggregation without a window, or DISTINCT without one.
fn aggregates_without_window(select: &Select, projected: &[&Expr]) -> bool {
    let windowed = |exprs: &[&Expr]| {
        exprs.iter().any(|e| {
            is_window_bound(e, "window_start")
                || is_window_bound(e, "window_end")
                || ["TUMBLE", "HOP", "SESSION", "CUMULATE"]
                    .iter()
                    .any(|w| is_call(e, w))
        })
    };
    if matches!(
        select.distinct,
        Some(sqlparser::ast::Distinct::Distinct | sqlparser::ast::Distinct::On(_))
    ) && !windowed(projected)
    {
        return true;
    }
    match &select.group_by {
        sqlparser::ast::GroupByExpr::All(_) => true,
        sqlparser::ast::GroupByExpr::Expressions(exprs, _) if !exprs.is_empty() => {
            !windowed(&exprs.iter().collect::<Vec<_>>())
        }
        // No GROUP BY: a global aggregate (`SELECT COUNT(*) FROM t`) updates its one row.
        _ => projected.iter().any(|e| aggregates(e)),
    }
}

/// Whether a join is a regular outer join (see the module's list).
fn regular_outer_join(operator: &JoinOperator, relation: &TableFactor) -> bool {
    let constraint = match operator {
        JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c) => c,
        _ => return false,
    };
    match relation {
        // A temporal or lookup join.
        TableFactor::Table {
            version: Some(_), ..
        } => return false,
        TableFactor::Table { .. }
        | TableFactor::Derived { lateral: false, .. }
        | TableFactor::NestedJoin { .. } => {}
        // `LATERAL TABLE(f(x))`, `UNNEST(a)`, window table functions: not a second stream.
        _ => return false,
    }
    match constraint {
        JoinConstraint::On(on) => !bounds_time(on),
        _ => true,
    }
}

/// Whether a join condition bounds time (an interval join's `INTERVAL`) or matches windows
/// (a window join's `window_start`/`window_end`).
fn bounds_time(on: &Expr) -> bool {
    struct Find(bool);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if matches!(expr, Expr::Interval(_))
                || is_window_bound(expr, "window_start")
                || is_window_bound(expr, "window_end")
            {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(false);
    let _ = on.visit(&mut find);
    find.0
}

/// Whether an expression calls an aggregate function outside an `OVER` window (not into a
/// subquery, whose SELECT is looked at on its own).
fn aggregates(expr: &Expr) -> bool {
    struct Find(bool);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = expr
                && f.over.is_none()
                && AGGREGATES.contains(&f.name.to_string().to_ascii_uppercase().as_str())
            {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            // A scalar subquery is its own SELECT.
            ControlFlow::Break(())
        }
    }
    let mut find = Find(false);
    let _ = expr.visit(&mut find);
    find.0
}

/// Flink's built-in aggregate functions (`SUM`, `COUNT`, ...), upper-case.
const AGGREGATES: &[&str] = &[
    "AVG",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "VAR_POP",
    "VAR_SAMP",
    "COLLECT",
    "LISTAGG",
    "ARRAY_AGG",
    "JSON_ARRAYAGG",
    "JSON_OBJECTAGG",
    "FIRST_VALUE",
    "LAST_VALUE",
];

/// The tables and views a query reads by a name alone, other than as a temporal join's
/// versioned table (whose updates a temporal join reads as versions, appending).
fn reads(query: &Query) -> BTreeSet<String> {
    struct Find(BTreeSet<String>);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name,
                version: None,
                ..
            } = factor
                && let [only] = name.0.as_slice()
                && let Some(ident) = only.as_ident()
            {
                self.0.insert(ident.value.clone());
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(BTreeSet::new());
    let _ = query.visit(&mut find);
    find.0
}

/// The SQL's processing-time columns: computed columns `p AS PROCTIME()` (the dialect keeps
/// a computed column as the custom type `AS expr`).
fn proctime_columns(parsed: &[Parsed]) -> BTreeSet<String> {
    parsed
        .iter()
        .filter_map(|p| match &p.statement {
            Statement::CreateTable(t) => Some(&t.columns),
            _ => None,
        })
        .flatten()
        .filter(|c| match &c.data_type {
            DataType::Custom(name, _) => {
                let text: String = name
                    .to_string()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                text.eq_ignore_ascii_case("ASPROCTIME()")
            }
            _ => false,
        })
        .map(|c| c.name.value.clone())
        .collect()
}

/// An identifier's name, or a compound identifier's last part (`t.window_start`).
fn last_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Identifier(i) => Some(i.value.as_str()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.as_str()),
        _ => None,
    }
    .filter(|n| !n.is_empty())
}

/// Whether an expression names a window table function's bound column (`window_start`,
/// `window_end`, in any case).
fn is_window_bound(expr: &Expr, bound: &str) -> bool {
    last_name(expr).is_some_and(|n| n.eq_ignore_ascii_case(bound))
}

/// Whether an expression is a call of the function named (any case).
fn is_call(expr: &Expr, function: &str) -> bool {
    matches!(expr, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case(function))
}
