//! A typed model of the Grafana dashboard JSON flinkwasm ships (schema version 39), with
//! unknown fields denied: the dashboard must load as this model, field for field.

use serde::Deserialize;
use serde_json::Value;

/// A dashboard.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dashboard {
    /// Stable uid.
    pub uid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `browser` or `utc`.
    pub timezone: String,
    /// Editable in the UI.
    pub editable: bool,
    /// Shared crosshair (1) or tooltip (2).
    pub graph_tooltip: u8,
    /// Grafana's dashboard schema version.
    pub schema_version: u32,
    /// Dashboard version.
    pub version: u32,
    /// Auto-refresh.
    pub refresh: String,
    /// Default time range.
    pub time: TimeRange,
    /// Annotations.
    pub annotations: List<Value>,
    /// Variables.
    pub templating: List<Variable>,
    /// Panels, rows included.
    pub panels: Vec<Panel>,
}

/// `{list: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List<T> {
    /// Items.
    pub list: Vec<T>,
}

/// A time range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// Start.
    pub from: String,
    /// End.
    pub to: String,
}

/// A template variable.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variable {
    /// `$name`.
    pub name: String,
    /// Label in the UI.
    pub label: String,
    /// `datasource`, `query`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The plugin type (datasource) or the query.
    pub query: Value,
    /// Where a query variable runs.
    #[serde(default)]
    pub datasource: Option<DatasourceRef>,
    /// The query as text.
    #[serde(default)]
    pub definition: Option<String>,
    /// Offer "All".
    #[serde(default)]
    pub include_all: Option<bool>,
    /// Multi-select.
    #[serde(default)]
    pub multi: Option<bool>,
    /// Value of "All".
    #[serde(default)]
    pub all_value: Option<String>,
    /// Current selection.
    pub current: Value,
    /// Hidden?
    pub hide: u8,
    /// When to refresh.
    pub refresh: u8,
    /// Sort order.
    #[serde(default)]
    pub sort: Option<u8>,
    /// Filter.
    pub regex: String,
    /// Static options.
    pub options: Vec<Value>,
}

/// A datasource reference.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasourceRef {
    /// Plugin type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Uid (here the `${datasource}` variable).
    pub uid: String,
}

/// A panel or a row.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Panel {
    /// Unique id.
    pub id: u32,
    /// `row`, `stat`, `timeseries`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Datasource.
    #[serde(default)]
    pub datasource: Option<DatasourceRef>,
    /// Position.
    pub grid_pos: GridPos,
    /// Field config.
    #[serde(default)]
    pub field_config: Option<Value>,
    /// Options.
    #[serde(default)]
    pub options: Option<Value>,
    /// Queries.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Rows: collapsed?
    #[serde(default)]
    pub collapsed: Option<bool>,
    /// Rows: panels inside when collapsed.
    #[serde(default)]
    pub panels: Option<Vec<Value>>,
}

/// A panel's position on the 24-column grid.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct GridPos {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// A PromQL query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// `A`, `B`, ...
    pub ref_id: String,
    /// Datasource.
    pub datasource: DatasourceRef,
    /// The PromQL.
    pub expr: String,
    /// Legend.
    pub legend_format: String,
}
