//! The structured results agents hand over, each with the JSON Schema its arguments must match.

use std::sync::{Arc, LazyLock};

use serde_json::json;

use crate::schema::StructuredTool;

fn build(name: &str, description: &str, schema: serde_json::Value) -> Arc<StructuredTool> {
    // The schemas below are constants checked by the tests; a broken one is a programming error caught there.
    Arc::new(StructuredTool::new(name, description, schema).unwrap_or_else(|e| panic!("built-in schema: {e}")))
}

/// `submit_plan`: the planner's steps.
pub static SUBMIT_PLAN: LazyLock<Arc<StructuredTool>> = LazyLock::new(|| {
    build(
        "submit_plan",
        "Hand over the plan: the steps of the task, each assigned to one agent.",
        json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string", "minLength": 1},
                "steps": {
                    "type": "array", "minItems": 1, "maxItems": 6,
                    "items": {
                        "type": "object",
                        "properties": {
                            "agent": {"type": "string", "enum": ["developer", "tester", "writer"]},
                            "instruction": {"type": "string", "minLength": 1}
                        },
                        "required": ["agent", "instruction"]
                    }
                }
            },
            "required": ["summary", "steps"]
        }),
    )
});

/// `submit_review`: the reviewer's verdict.
pub static SUBMIT_REVIEW: LazyLock<Arc<StructuredTool>> = LazyLock::new(|| {
    build(
        "submit_review",
        "Hand over the review: a score from 0 to 10, whether you approve, a summary and the issues found.",
        json!({
            "type": "object",
            "properties": {
                "score": {"type": "number", "minimum": 0, "maximum": 10},
                "approved": {"type": "boolean"},
                "summary": {"type": "string", "minLength": 1},
                "issues": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["score", "approved", "summary"]
        }),
    )
});

/// `write_plan`: a pet's monthly diet plan.
pub static WRITE_PLAN: LazyLock<Arc<StructuredTool>> = LazyLock::new(|| {
    let meal = json!({
        "type": "object",
        "properties": {
            "time": {"type": "string", "minLength": 1},
            "food": {"type": "string", "minLength": 1},
            "amount_g": {"type": "number", "exclusiveMinimum": 0}
        },
        "required": ["time", "food", "amount_g"]
    });
    build(
        "write_plan",
        "Hand over the pet's diet plan for one month: daily energy, meals, four weekly plans and advice.",
        json!({
            "type": "object",
            "properties": {
                "ai_suggestions": {"type": "string", "minLength": 1},
                "pet_information": {
                    "type": "object",
                    "properties": {
                        "pet_type": {"type": "string"},
                        "life_stage": {"type": "string"},
                        "body_condition": {"type": "string"},
                        "daily_calories_kcal": {"type": "number", "exclusiveMinimum": 0}
                    },
                    "required": ["pet_type", "daily_calories_kcal"]
                },
                "pet_diet_plan": {
                    "type": "object",
                    "properties": {
                        "daily_calories_kcal": {"type": "number", "exclusiveMinimum": 0},
                        "meals_per_day": {"type": "integer", "minimum": 1, "maximum": 6},
                        "weeks": {
                            "type": "array", "minItems": 4, "maxItems": 5,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "week": {"type": "integer", "minimum": 1, "maximum": 5},
                                    "focus": {"type": "string"},
                                    "meals": {"type": "array", "minItems": 1, "maxItems": 6, "items": meal}
                                },
                                "required": ["week", "meals"]
                            }
                        },
                        "treats_and_notes": {"type": "string"}
                    },
                    "required": ["daily_calories_kcal", "meals_per_day", "weeks"]
                }
            },
            "required": ["ai_suggestions", "pet_information", "pet_diet_plan"]
        }),
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_schemas_compile_and_judge() {
        assert!(
            SUBMIT_PLAN.check(&json!({"summary": "s", "steps": [{"agent": "developer", "instruction": "x"}]})).is_ok()
        );
        assert!(SUBMIT_PLAN.check(&json!({"summary": "s", "steps": [{"agent": "ceo", "instruction": "x"}]})).is_err());
        assert!(SUBMIT_REVIEW.check(&json!({"score": 8.5, "approved": true, "summary": "good"})).is_ok());
        let week = json!({"week": 1, "meals": [{"time": "08:00", "food": "kibble", "amount_g": 120}]});
        let plan = json!({
            "ai_suggestions": "feed twice a day",
            "pet_information": {"pet_type": "dog", "daily_calories_kcal": 1300},
            "pet_diet_plan": {"daily_calories_kcal": 1300, "meals_per_day": 2, "weeks": [week.clone(), week.clone(), week.clone(), week]}
        });
        assert!(WRITE_PLAN.check(&plan).is_ok(), "{:?}", WRITE_PLAN.check(&plan));
        let mut short = plan.clone();
        short["pet_diet_plan"]["weeks"] = json!([]);
        assert!(WRITE_PLAN.check(&short).unwrap_err().contains("/pet_diet_plan/weeks"));
    }
}
