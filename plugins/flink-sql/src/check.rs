//! What the parser takes and Flink refuses, refused at the statement's place when the file is
//! parsed rather than by CMF once the FlinkStatement is applied (and its immutable `spec` has
//! to be replaced by another commit).
//!
//! - DDL: a primary key must be `NOT ENFORCED` and name declared columns; no other constraint
//!   (`UNIQUE`, `CHECK`, `FOREIGN KEY`) or column option (`DEFAULT`, ...) than Flink's
//!   (`NOT NULL`, `NULL`, `COMMENT`, `METADATA`); a column declared once.
//! - Objects that could not live across statements: each statement is its own FlinkStatement,
//!   so a `TEMPORARY` table or view would be gone before the statement that uses it.
//! - Qualified names in `CREATE`: a table or view lives in the catalog and database this
//!   plugin generates for it (`sql.current-catalog`, `sql.current-database`).
//! - Expressions and clauses of other SQL dialects: `ILIKE`, `REGEXP`/`RLIKE`, `QUALIFY`, and
//!   time travel other than `FOR SYSTEM_TIME AS OF`.

use crate::dialect;
use crate::parse::Place;
use sqlparser::ast::{
    ColumnOption, CreateTable, Expr, ObjectName, Select, Spanned, Statement, TableConstraint,
    TableFactor, TableVersion, Visit, Visitor,
};
use sqlparser::tokenizer::Span;
use std::collections::BTreeSet;
use std::ops::ControlFlow;

/// Checks `statement` (starting at `start`); the error is `file:line:column: why`.
pub fn statement(start: &Place, statement: &Statement) -> Result<(), String> {
    let at = |span: Span| start.at(span.start.line, span.start.column);
    match statement {
        Statement::CreateTable(t) => {
            if t.temporary {
                return Err(format!(
                    "{start}: CREATE TEMPORARY TABLE: each statement runs as its own \
                     FlinkStatement, so a temporary table is gone before another uses it; \
                     write CREATE TABLE"
                ));
            }
            unqualified(start, &t.name, "CREATE TABLE")?;
            table(start, t)?;
        }
        Statement::CreateView(v) => {
            if v.temporary {
                return Err(format!(
                    "{start}: CREATE TEMPORARY VIEW: each statement runs as its own \
                     FlinkStatement, so a temporary view is gone before another uses it; write \
                     CREATE VIEW, or a CTE (WITH ... AS) in the statement that uses it"
                ));
            }
            unqualified(start, &v.name, "CREATE VIEW")?;
        }
        _ => {}
    }
    let mut foreign = Foreign { found: None };
    let _ = statement.visit(&mut foreign);
    if let Some((span, what)) = foreign.found {
        return Err(format!("{}: {what}", at(span)));
    }
    Ok(())
}

/// A created object's name must be one part: its catalog and database are generated.
fn unqualified(start: &Place, name: &ObjectName, what: &str) -> Result<(), String> {
    if name.0.len() > 1 {
        return Err(format!(
            "{start}: {what} {name}: a qualified name would create it in another catalog or \
             database than the one generated for its connection (the statement's \
             sql.current-catalog and sql.current-database); write the name alone"
        ));
    }
    Ok(())
}

/// A table's columns and constraints, as Flink takes them.
fn table(start: &Place, t: &CreateTable) -> Result<(), String> {
    let at = |span: Span| start.at(span.start.line, span.start.column);
    let mut declared = BTreeSet::new();
    let mut keys = 0;
    for c in t.columns.iter().filter(|c| !dialect::is_watermark(c)) {
        if !declared.insert(c.name.value.as_str()) {
            return Err(format!(
                "{}: the column `{}` is declared twice",
                at(c.name.span),
                c.name.value
            ));
        }
        for option in &c.options {
            match &option.option {
                ColumnOption::Null
                | ColumnOption::NotNull
                | ColumnOption::Comment(_)
                | ColumnOption::DialectSpecific(_) => {}
                ColumnOption::PrimaryKey(pk)
                    if pk.characteristics.and_then(|c| c.enforced) == Some(false) =>
                {
                    keys += 1;
                }
                ColumnOption::PrimaryKey(_) => return Err(not_enforced(at(c.name.span))),
                other => {
                    return Err(format!(
                        "{}: the column `{}` has `{other}`, which Flink does not take (a column \
                         takes NOT NULL, COMMENT, METADATA, or PRIMARY KEY NOT ENFORCED)",
                        at(c.name.span),
                        c.name.value
                    ));
                }
            }
        }
    }
    for constraint in &t.constraints {
        let TableConstraint::PrimaryKey(pk) = constraint else {
            return Err(format!(
                "{}: `{constraint}`: Flink takes no constraint but PRIMARY KEY (...) NOT ENFORCED",
                at(constraint.span())
            ));
        };
        if pk.characteristics.and_then(|c| c.enforced) != Some(false) {
            return Err(not_enforced(at(constraint.span())));
        }
        keys += 1;
        for column in &pk.columns {
            let Expr::Identifier(name) = &column.column.expr else {
                return Err(format!(
                    "{}: a primary key names columns, not `{}`",
                    at(column.column.expr.span()),
                    column.column.expr
                ));
            };
            if !declared.contains(name.value.as_str()) {
                return Err(format!(
                    "{}: the primary key names `{}`, which the table does not declare",
                    at(name.span),
                    name.value
                ));
            }
        }
    }
    if keys > 1 {
        return Err(format!(
            "{start}: a table has one primary key; this one declares {keys}"
        ));
    }
    Ok(())
}

fn not_enforced(at: Place) -> String {
    format!("{at}: Flink does not enforce primary keys: write PRIMARY KEY (...) NOT ENFORCED")
}

/// Finds the first expression or clause of another SQL dialect.
struct Foreign {
    found: Option<(Span, String)>,
}

impl Visitor for Foreign {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        let what = match expr {
            Expr::ILike { .. } => "ILIKE is not Flink SQL: write LOWER(x) LIKE LOWER(pattern)",
            Expr::RLike { .. } => "REGEXP/RLIKE is not Flink SQL: write REGEXP(string, pattern)",
            _ => return ControlFlow::Continue(()),
        };
        self.found = Some((expr.span(), what.to_string()));
        ControlFlow::Break(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        if let Some(qualify) = &select.qualify {
            self.found = Some((
                qualify.span(),
                "QUALIFY is not Flink SQL: filter the ranked rows in an outer query (WHERE rn = 1)"
                    .to_string(),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            version: Some(version),
            ..
        } = factor
            && !matches!(version, TableVersion::ForSystemTimeAsOf(_))
        {
            self.found = Some((
                name.span(),
                format!("`{version}` is not Flink SQL: a temporal join is FOR SYSTEM_TIME AS OF"),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}
