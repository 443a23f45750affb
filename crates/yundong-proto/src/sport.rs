//! The sport-type catalog of `wx.shareToWeRun` (docs/WECHAT.md §5.2) and the validation of a `recordList`
//! (docs/DESIGN.md §5.10).
//!
//! [`SPORTS`] is the one table of type ids, names and allowed units. [`validate_record_list`] turns the raw JSON a
//! mini program passed into [`SportRecord`]s, or names the first record and field that is wrong:
//!
//! * `recordList` is an array of 1 to [`MAX_RECORDS`] objects (our choice: WeChat documents no limit);
//! * each record has an integer `typeId` from the catalog and exactly one unit (`time`, `distance`, `calorie` or
//!   `number`) that the type allows: the guide says "设置时最多传入一个单位，不支持同时传入多个单位" (docs/WECHAT.md §5.2);
//! * the unit's value is an integer within [`Unit::max`]: number 1–10000, distance 1–100000 m, time 1–1440 min
//!   (docs/WECHAT.md §5.2), calorie 1–10000 kcal (our choice: WeChat documents no range).
//!
//! Numbers follow JavaScript's notion of an integer, as the WeChat client that sends them does: `30.0` is the
//! integer 30 (`Number.isInteger(30.0)`), `1.5`, `"30"` and `-1` are not. A unit given as `null` counts as absent
//! (what `undefined` becomes when a shim serialises it). Other keys are ignored, among them the undocumented `url`
//! that a community thread reports has no effect (docs/WECHAT.md §5.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most records one call may carry (our choice, docs/DESIGN.md §5.10).
pub const MAX_RECORDS: usize = 10;

/// The unit of a record's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    /// Minutes, 1–1440.
    Time,
    /// Metres, 1–100000.
    Distance,
    /// Kilocalories, 1–10000.
    Calorie,
    /// A count (个), 1–10000.
    Number,
}

impl Unit {
    pub const ALL: [Unit; 4] = [Unit::Time, Unit::Distance, Unit::Calorie, Unit::Number];

    /// The record field that carries this unit.
    pub const fn field(self) -> &'static str {
        match self {
            Unit::Time => "time",
            Unit::Distance => "distance",
            Unit::Calorie => "calorie",
            Unit::Number => "number",
        }
    }

    /// The largest value accepted; the smallest is 1.
    pub const fn max(self) -> i64 {
        match self {
            Unit::Time => 1_440,
            Unit::Distance => 100_000,
            Unit::Calorie => 10_000,
            Unit::Number => 10_000,
        }
    }

    /// What a value counts, in English (used in error messages).
    pub const fn measure(self) -> &'static str {
        match self {
            Unit::Time => "minutes",
            Unit::Distance => "metres",
            Unit::Calorie => "kcal",
            Unit::Number => "count",
        }
    }

    /// The unit as WeRun's pages write it.
    pub const fn label(self) -> &'static str {
        match self {
            Unit::Time => "分钟",
            Unit::Distance => "米",
            Unit::Calorie => "千卡",
            Unit::Number => "个",
        }
    }

    pub fn from_field(field: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.field() == field)
    }
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SportType {
    pub type_id: i64,
    /// The Chinese name WeRun shows.
    pub name: &'static str,
    pub english: &'static str,
    pub units: &'static [Unit],
}

const TC: &[Unit] = &[Unit::Time, Unit::Calorie];
const TDC: &[Unit] = &[Unit::Time, Unit::Distance, Unit::Calorie];
const NC: &[Unit] = &[Unit::Number, Unit::Calorie];

const fn sport_type(type_id: i64, name: &'static str, english: &'static str, units: &'static [Unit]) -> SportType {
    SportType {
        type_id,
        name,
        english,
        units,
    }
}

/// The 19 sport types of `wx.shareToWeRun`, as the guide lists them (docs/WECHAT.md §5.2).
pub const SPORTS: [SportType; 19] = [
    sport_type(1001, "锻炼", "exercise", TC),
    sport_type(1002, "体能训练", "fitness training", TC),
    sport_type(1003, "功能性训练", "functional training", TC),
    sport_type(2001, "瑜伽", "yoga", TC),
    sport_type(2002, "钓鱼", "fishing", TC),
    sport_type(2003, "广场舞", "square dance", TC),
    sport_type(2004, "踢足球", "football", TC),
    sport_type(2005, "打篮球", "basketball", TC),
    sport_type(2006, "打羽毛球", "badminton", TC),
    sport_type(2007, "打乒乓球", "table tennis", TC),
    sport_type(2008, "打网球", "tennis", TC),
    sport_type(3001, "跑步", "running", TDC),
    sport_type(3002, "登山", "hiking", TDC),
    sport_type(3003, "骑车", "cycling", TDC),
    sport_type(3004, "游泳", "swimming", TDC),
    sport_type(3005, "滑雪", "skiing", TDC),
    sport_type(4001, "跳绳", "rope skipping", NC),
    sport_type(4002, "俯卧撑", "push-ups", NC),
    sport_type(4003, "深蹲", "squats", NC),
];

/// The catalog row of a type id.
pub fn sport(type_id: i64) -> Option<&'static SportType> {
    SPORTS.iter().find(|s| s.type_id == type_id)
}

impl SportType {
    pub fn allows(&self, unit: Unit) -> bool {
        self.units.contains(&unit)
    }

    /// The allowed units as prose: `number or calorie`, `time, distance or calorie`.
    pub fn units_text(&self) -> String {
        let fields: Vec<&str> = self.units.iter().map(|u| u.field()).collect();
        match fields.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// A validated record: a catalog type, the one unit it was given in, and the value in that unit.
///
/// Serialised as `{"typeId", "unit", "value"}` (how yundong stores it); [`SportRecord::to_wire`] gives WeChat's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SportRecord {
    #[serde(rename = "typeId")]
    pub type_id: i64,
    pub unit: Unit,
    pub value: i64,
}

impl SportRecord {
    pub fn sport(&self) -> Option<&'static SportType> {
        sport(self.type_id)
    }

    /// The sport's Chinese name, or `""` for a type no longer in the catalog.
    pub fn name(&self) -> &'static str {
        self.sport().map_or("", |s| s.name)
    }

    /// The record as a `recordList` entry: `{"typeId": 3001, "distance": 5000}`.
    pub fn to_wire(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("typeId".into(), Value::from(self.type_id));
        map.insert(self.unit.field().into(), Value::from(self.value));
        Value::Object(map)
    }
}

/// Why a `recordList` was refused: a message naming the record index and field, e.g.
/// `recordList[1].distance: 跳绳 (4001) takes number or calorie`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(pub String);

impl RecordError {
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// What a JSON number is, in JavaScript's terms.
enum Num {
    Int(i64),
    /// An integer beyond i64 (so beyond every range here).
    Huge,
    NotInteger,
}

fn number(v: &Value) -> Option<Num> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(Num::Int(i));
    }
    if n.as_u64().is_some() {
        return Some(Num::Huge);
    }
    let f = n.as_f64()?;
    if !f.is_finite() || f.fract() != 0.0 {
        return Some(Num::NotInteger);
    }
    // Whole floats (30.0, 1e3): integers in JavaScript. ±2^53 is where f64 stops holding every integer.
    if f.abs() <= 9_007_199_254_740_992.0 {
        Some(Num::Int(f as i64))
    } else {
        Some(Num::Huge)
    }
}

/// A short description of a JSON value for an error message (never echoes a long string back).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn check_value(index: usize, unit: Unit, v: &Value) -> Result<i64, RecordError> {
    let bad = || {
        RecordError(format!(
            "recordList[{index}].{} must be an integer from 1 to {} ({}), got {}",
            unit.field(),
            unit.max(),
            unit.measure(),
            describe(v)
        ))
    };
    match number(v) {
        Some(Num::Int(i)) if (1..=unit.max()).contains(&i) => Ok(i),
        _ => Err(bad()),
    }
}

/// Validate one record, `index` being its place in `recordList`.
pub fn validate_record(index: usize, record: &Value) -> Result<SportRecord, RecordError> {
    let Value::Object(map) = record else {
        return Err(RecordError(format!(
            "recordList[{index}] must be an object, got {}",
            describe(record)
        )));
    };
    let type_id = match map.get("typeId") {
        None | Some(Value::Null) => {
            return Err(RecordError(format!("recordList[{index}].typeId is required")));
        }
        Some(v) => match number(v) {
            Some(Num::Int(i)) => i,
            _ => {
                return Err(RecordError(format!(
                    "recordList[{index}].typeId must be an integer sport type id, got {}",
                    describe(v)
                )));
            }
        },
    };
    let Some(sport) = sport(type_id) else {
        return Err(RecordError(format!(
            "recordList[{index}].typeId: unknown sport type {type_id}"
        )));
    };
    let given: Vec<(Unit, &Value)> = Unit::ALL
        .into_iter()
        .filter_map(|u| match map.get(u.field()) {
            None | Some(Value::Null) => None,
            Some(v) => Some((u, v)),
        })
        .collect();
    let (unit, value) = match given.as_slice() {
        [] => {
            return Err(RecordError(format!(
                "recordList[{index}]: one unit is required: {} ({type_id}) takes {}",
                sport.name,
                sport.units_text()
            )));
        }
        [one] => *one,
        [first, second, ..] => {
            return Err(RecordError(format!(
                "recordList[{index}]: only one unit per record, got {} and {}",
                first.0.field(),
                second.0.field()
            )));
        }
    };
    if !sport.allows(unit) {
        return Err(RecordError(format!(
            "recordList[{index}].{}: {} ({type_id}) takes {}",
            unit.field(),
            sport.name,
            sport.units_text()
        )));
    }
    let value = check_value(index, unit, value)?;
    Ok(SportRecord { type_id, unit, value })
}

/// Validate a whole `recordList`: the first failure, or every record in order.
pub fn validate_record_list(list: &Value) -> Result<Vec<SportRecord>, RecordError> {
    let Value::Array(items) = list else {
        return Err(RecordError(format!(
            "recordList must be an array of 1 to {MAX_RECORDS} records, got {}",
            describe(list)
        )));
    };
    if items.is_empty() || items.len() > MAX_RECORDS {
        return Err(RecordError(format!(
            "recordList must hold 1 to {MAX_RECORDS} records, got {}",
            items.len()
        )));
    }
    items.iter().enumerate().map(|(i, r)| validate_record(i, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn err(list: Value) -> String {
        match validate_record_list(&list) {
            Ok(r) => format!("unexpectedly valid: {r:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn catalog_has_19_unique_types_with_spec_units() {
        let mut ids: Vec<i64> = SPORTS.iter().map(|s| s.type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 19);
        for s in &SPORTS {
            let expected: &[Unit] = match s.type_id / 1000 {
                1 | 2 => TC,
                3 => TDC,
                4 => NC,
                _ => &[],
            };
            assert_eq!(s.units, expected, "{}", s.type_id);
            assert!(!s.name.is_empty());
        }
        assert_eq!(sport(4001).map(|s| s.name), Some("跳绳"));
        assert_eq!(sport(3001).map(|s| s.name), Some("跑步"));
        assert_eq!(sport(5001), None);
        assert_eq!(
            sport(3001).map(SportType::units_text).as_deref(),
            Some("time, distance or calorie")
        );
        assert_eq!(
            sport(4001).map(SportType::units_text).as_deref(),
            Some("number or calorie")
        );
    }

    #[test]
    fn valid_records_pass_in_order() {
        let list = json!([
            {"typeId": 3001, "distance": 5000},
            {"typeId": 4001, "number": 300},
            {"typeId": 1001, "time": 30.0, "url": "ignored"},
            {"typeId": 2001, "calorie": 1, "time": null},
        ]);
        let records = validate_record_list(&list).unwrap_or_default();
        assert_eq!(
            records,
            vec![
                SportRecord {
                    type_id: 3001,
                    unit: Unit::Distance,
                    value: 5000
                },
                SportRecord {
                    type_id: 4001,
                    unit: Unit::Number,
                    value: 300
                },
                SportRecord {
                    type_id: 1001,
                    unit: Unit::Time,
                    value: 30
                },
                SportRecord {
                    type_id: 2001,
                    unit: Unit::Calorie,
                    value: 1
                },
            ]
        );
        assert_eq!(records[0].to_wire(), json!({"typeId": 3001, "distance": 5000}));
        assert_eq!(records[1].name(), "跳绳");
    }

    #[test]
    fn boundaries_of_every_unit() {
        for (type_id, unit) in [
            (1001, Unit::Time),
            (3001, Unit::Distance),
            (1001, Unit::Calorie),
            (4001, Unit::Number),
        ] {
            let f = unit.field();
            for ok in [1, unit.max()] {
                assert!(
                    validate_record_list(&json!([{"typeId": type_id, f: ok}])).is_ok(),
                    "{f}={ok}"
                );
            }
            for bad in [0, -1, unit.max() + 1] {
                assert_eq!(
                    err(json!([{"typeId": type_id, f: bad}])),
                    format!(
                        "recordList[0].{f} must be an integer from 1 to {} ({}), got {bad}",
                        unit.max(),
                        unit.measure()
                    )
                );
            }
        }
    }

    #[test]
    fn each_rule_names_record_and_field() {
        assert_eq!(
            err(json!([{"typeId": 3001, "time": 10}, {"typeId": 4001, "distance": 100}])),
            "recordList[1].distance: 跳绳 (4001) takes number or calorie"
        );
        assert_eq!(
            err(json!([{"typeId": 2004, "number": 3}])),
            "recordList[0].number: 踢足球 (2004) takes time or calorie"
        );
        assert_eq!(
            err(json!([{"typeId": 3001, "time": 10, "distance": 100}])),
            "recordList[0]: only one unit per record, got time and distance"
        );
        assert_eq!(
            err(json!([{"typeId": 3001}])),
            "recordList[0]: one unit is required: 跑步 (3001) takes time, distance or calorie"
        );
        assert_eq!(
            err(json!([{"typeId": 1001, "time": 1.5}])),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got 1.5"
        );
        assert_eq!(
            err(json!([{"typeId": 1001, "time": "30"}])),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got a string"
        );
        assert_eq!(
            err(json!([{"typeId": 1001, "calorie": true}])),
            "recordList[0].calorie must be an integer from 1 to 10000 (kcal), got true"
        );
        assert_eq!(
            err(json!([{"typeId": 3001, "distance": 18446744073709551615u64}])),
            "recordList[0].distance must be an integer from 1 to 100000 (metres), got 18446744073709551615"
        );
        assert_eq!(err(json!([{"time": 3}])), "recordList[0].typeId is required");
        assert_eq!(
            err(json!([{"typeId": "3001", "time": 3}])),
            "recordList[0].typeId must be an integer sport type id, got a string"
        );
        assert_eq!(
            err(json!([{"typeId": 3001.5, "time": 3}])),
            "recordList[0].typeId must be an integer sport type id, got 3001.5"
        );
        assert_eq!(
            err(json!([{"typeId": 9999, "time": 3}])),
            "recordList[0].typeId: unknown sport type 9999"
        );
        assert_eq!(err(json!([[1]])), "recordList[0] must be an object, got an array");
        assert_eq!(err(json!([])), "recordList must hold 1 to 10 records, got 0");
        assert_eq!(
            err(Value::Array(vec![json!({"typeId": 1001, "time": 1}); 11])),
            "recordList must hold 1 to 10 records, got 11"
        );
        assert!(validate_record_list(&Value::Array(vec![json!({"typeId": 1001, "time": 1}); 10])).is_ok());
        assert_eq!(
            err(json!({"typeId": 1001})),
            "recordList must be an array of 1 to 10 records, got an object"
        );
        assert_eq!(
            err(Value::Null),
            "recordList must be an array of 1 to 10 records, got null"
        );
    }

    #[test]
    fn stored_form_round_trips() {
        let r = SportRecord {
            type_id: 3004,
            unit: Unit::Distance,
            value: 1500,
        };
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(text, r#"{"typeId":3004,"unit":"distance","value":1500}"#);
        assert_eq!(serde_json::from_str::<SportRecord>(&text).ok(), Some(r));
    }

    fn valid_record() -> impl Strategy<Value = SportRecord> {
        (
            0..SPORTS.len(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(i, u, v)| {
                let s = &SPORTS[i];
                let unit = s.units[u.index(s.units.len())];
                let value = 1 + v.index(unit.max() as usize) as i64;
                SportRecord {
                    type_id: s.type_id,
                    unit,
                    value,
                }
            })
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![
                Just("typeId"),
                Just("time"),
                Just("distance"),
                Just("calorie"),
                Just("number"),
                Just("x")
            ]
            .prop_map(Value::from),
            (1000i64..5000).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 12, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..12).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("typeId".to_owned()),
                            Just("time".to_owned()),
                            Just("distance".to_owned()),
                            Just("calorie".to_owned()),
                            Just("number".to_owned()),
                            "[a-z]{1,6}",
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// A JSON value that is an integer in JavaScript's sense (`30` or `30.0`, within ±2^53 when a float), as i64.
    fn js_integer(v: &Value) -> Option<i64> {
        let n = v.as_number()?;
        if let Some(i) = n.as_i64() {
            return Some(i);
        }
        let f = n.as_f64()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).then_some(f as i64)
    }

    /// The rules, restated: an object; `typeId` an integer naming a catalog type; exactly one unit present (a `null`
    /// unit is absent); the type allows it; its value an integer from 1 to the unit's maximum.
    fn oracle(record: &Value) -> Option<SportRecord> {
        let map = record.as_object()?;
        let type_id = js_integer(map.get("typeId")?)?;
        let allowed: &[&str] = match type_id {
            1001..=1003 | 2001..=2008 => &["time", "calorie"],
            3001..=3005 => &["time", "distance", "calorie"],
            4001..=4003 => &["number", "calorie"],
            _ => return None,
        };
        let present: Vec<(&str, &Value)> = ["time", "distance", "calorie", "number"]
            .into_iter()
            .filter_map(|f| map.get(f).filter(|v| !v.is_null()).map(|v| (f, v)))
            .collect();
        let [(field, value)] = present.as_slice() else {
            return None;
        };
        if !allowed.contains(field) {
            return None;
        }
        let max = match *field {
            "time" => 1_440,
            "distance" => 100_000,
            _ => 10_000,
        };
        let value = js_integer(value).filter(|v| (1..=max).contains(v))?;
        Some(SportRecord {
            type_id,
            unit: Unit::from_field(field)?,
            value,
        })
    }

    /// Records near the valid ones: catalog and non-catalog type ids, each unit absent, null, in range, at or past
    /// its bounds, fractional, a whole float, a string; sometimes not an object at all.
    fn record_like() -> impl Strategy<Value = Value> {
        let type_id = prop_oneof![
            4 => prop::sample::select(SPORTS.iter().map(|s| s.type_id).collect::<Vec<_>>()).prop_map(Value::from),
            1 => prop_oneof![Just(1000i64), Just(1004), Just(2009), Just(3006), Just(4004), Just(0), Just(-3001)]
                .prop_map(Value::from),
            1 => Just(json!(3001.0)),
            1 => Just(json!(3001.5)),
            1 => Just(json!("3001")),
            1 => Just(Value::Null),
        ];
        let unit_value = prop_oneof![
            3 => Just(None),
            1 => Just(Some(Value::Null)),
            4 => (1i64..=1_440).prop_map(|v| Some(Value::from(v))),
            1 => prop_oneof![Just(0i64), Just(-1), Just(1_441), Just(10_000), Just(10_001), Just(100_000), Just(100_001)]
                .prop_map(|v| Some(Value::from(v))),
            1 => Just(Some(json!(30.0))),
            1 => Just(Some(json!(1.5))),
            1 => Just(Some(json!(1e300))),
            1 => Just(Some(json!(u64::MAX))),
            1 => Just(Some(json!("30"))),
            1 => Just(Some(json!(true))),
        ];
        let object =
            (type_id, prop::array::uniform4(unit_value), any::<bool>()).prop_map(|(type_id, units, with_type)| {
                let mut map = serde_json::Map::new();
                if with_type {
                    map.insert("typeId".into(), type_id);
                }
                for (field, v) in ["time", "distance", "calorie", "number"].into_iter().zip(units) {
                    if let Some(v) = v {
                        map.insert(field.into(), v);
                    }
                }
                Value::Object(map)
            });
        prop_oneof![9 => object, 1 => Just(json!([{"typeId": 3001, "time": 1}])), 1 => Just(json!(3001))]
    }

    proptest! {
        #[test]
        fn valid_records_always_pass(records in prop::collection::vec(valid_record(), 1..=MAX_RECORDS)) {
            let list = Value::Array(records.iter().map(SportRecord::to_wire).collect());
            prop_assert_eq!(validate_record_list(&list), Ok(records));
        }

        #[test]
        fn garbage_never_panics_and_errors_name_the_list(v in json_value()) {
            match validate_record_list(&v) {
                Ok(records) => {
                    prop_assert!(!records.is_empty() && records.len() <= MAX_RECORDS);
                    for r in records {
                        let s = sport(r.type_id);
                        prop_assert!(s.is_some_and(|s| s.allows(r.unit)));
                        prop_assert!((1..=r.unit.max()).contains(&r.value));
                    }
                }
                Err(e) => prop_assert!(e.message().starts_with("recordList")),
            }
        }

        /// Accepts exactly the valid records: an independent oracle (written from docs/DESIGN.md §5.10 and
        /// docs/WECHAT.md §5.2, not from the validator) decides each record, and `validate_record` must agree, with the
        /// same record when valid.
        #[test]
        fn accepts_exactly_what_the_oracle_calls_valid(record in record_like()) {
            let expected = oracle(&record);
            let got = validate_record(0, &record);
            prop_assert_eq!(got.clone().ok(), expected, "{} -> {:?}", record, got);
            if let Err(e) = got {
                prop_assert!(e.message().starts_with("recordList[0]"), "{}", e);
            }
        }

        #[test]
        fn a_second_unit_is_always_refused(r in valid_record(), extra in 0usize..4, value in 1i64..100) {
            let other = Unit::ALL[extra];
            prop_assume!(other != r.unit);
            let mut wire = r.to_wire();
            wire[other.field()] = Value::from(value);
            let refused = validate_record_list(&Value::Array(vec![wire])).is_err();
            prop_assert!(refused);
        }
    }
}
