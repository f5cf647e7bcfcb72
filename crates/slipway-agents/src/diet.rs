//! The pet planner's diet plan (`petplan.plan`): a nutrition agent studies the pet and hands over a monthly plan
//! through the `write_plan` tool, whose arguments are checked against the plan's JSON Schema (arguments that do
//! not match go back to the agent with the reasons). The plan is stored under the job's id.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, FieldError};
use slipway_engine::{Executor, JobContext, JobFailure, Visibility};
use slipway_store::agents::DietPlanRecord;

use crate::agent::{AgentSpec, Finish};
use crate::runtime::{Runtime, text};
use crate::structured::WRITE_PLAN;
use crate::tools::ToolSet;

/// The job kind.
pub const KIND: &str = "petplan.plan";
/// Turns the nutrition agent gets (it may need a few to satisfy the schema).
const TURNS: usize = 6;

/// The pet, as the planner's clients describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetInput {
    /// `dog`, `cat`, …
    pub pet_type: String,
    /// The breed.
    #[serde(default)]
    pub pet_breed: Option<String>,
    /// Age in years.
    #[serde(default)]
    pub age: Option<f64>,
    /// Weight in kilograms.
    #[serde(default)]
    pub pet_weight: Option<f64>,
    /// Health as the owner describes it.
    #[serde(default)]
    pub pet_health_status: Option<String>,
    /// Anything else the plan must respect.
    #[serde(default)]
    pub special_requirements: Option<String>,
}

impl PetInput {
    /// Checks the fields, naming every bad one.
    pub fn validate(&self) -> Result<(), Error> {
        let mut errors = Vec::new();
        if self.pet_type.trim().is_empty() || self.pet_type.chars().count() > 50 {
            errors.push(FieldError::body("pet_type", "value_error", "pet_type must be 1 to 50 characters"));
        }
        if self.age.is_some_and(|a| !(0.0..=50.0).contains(&a)) {
            errors.push(FieldError::body("age", "value_error", "age must be between 0 and 50 years"));
        }
        if self.pet_weight.is_some_and(|w| !(w > 0.0 && w <= 500.0)) {
            errors.push(FieldError::body("pet_weight", "value_error", "pet_weight must be above 0 and at most 500 kg"));
        }
        for (field, value, max) in [
            ("pet_breed", &self.pet_breed, 100),
            ("pet_health_status", &self.pet_health_status, 500),
            ("special_requirements", &self.special_requirements, 2000),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                errors.push(FieldError::body(
                    field,
                    "value_error",
                    format!("{field} must be at most {max} characters"),
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(Error::Validation(errors)) }
    }

    fn describe(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "not given".into());
        let num = |v: Option<f64>, unit: &str| v.map_or_else(|| "not given".into(), |n| format!("{n} {unit}"));
        format!(
            "Pet type: {}\nBreed: {}\nAge: {}\nWeight: {}\nHealth: {}\nSpecial requirements: {}",
            self.pet_type,
            opt(&self.pet_breed),
            num(self.age, "years"),
            num(self.pet_weight, "kg"),
            opt(&self.pet_health_status),
            opt(&self.special_requirements)
        )
    }
}

fn nutritionist() -> AgentSpec {
    AgentSpec::new(
        "main",
        "You are a veterinary nutritionist. From the pet's description, work out its daily energy need and write a \
         practical one-month diet plan: meals per day, four weekly plans with meal times, foods and grams, and \
         advice the owner can follow. Respect health conditions and special requirements. Hand the plan over by \
         calling write_plan; if it reports schema problems, fix them and call it again.",
    )
}

/// Produces diet plans.
#[derive(Debug, Clone)]
pub struct DietPlanExecutor(pub Runtime);

impl Executor for DietPlanExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        let pet: PetInput =
            serde_json::from_value(input.clone()).map_err(|e| Error::MalformedRequest(e.to_string()))?;
        pet.validate()
    }

    /// Diet plans are private: administrators do not see others' plans.
    fn visibility(&self) -> Visibility {
        Visibility::OwnerOnly
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let pet: PetInput =
            serde_json::from_value(ctx.input().clone()).map_err(|e| JobFailure::fatal(format!("bad input: {e}")))?;
        let owner = ctx.owner_id().ok_or_else(|| JobFailure::fatal("a diet plan needs an owner"))?;
        let _ = ctx.emit("message_created", json!({"message": "开始分析宠物信息..."})).await;
        let (chain, workspace) = self.0.start(&ctx).await?;
        let _ = ctx.emit("task_started", json!({"task_id": ctx.job_id().to_string()})).await;
        let _ = ctx.progress(10).await;
        let tools = ToolSet::new(workspace).with_structured(WRITE_PLAN.clone());
        let prompt = format!("Write a one-month diet plan for this pet.\n{}", pet.describe());
        let finish = Finish { on_tool: Some("write_plan"), max_turns: Some(TURNS) };
        // Plans are personal: their calls are never answered from the response cache.
        let run = self.0.job(&ctx, &chain, false);
        let done = run
            .run_agent(&nutritionist(), "planning", &prompt, &tools, finish)
            .await
            .map_err(|e| JobFailure::fatal(e.to_string()))?;
        let Some(plan) = done.captured("write_plan").cloned() else {
            return Err(JobFailure::fatal("the planner answered without handing over a plan through write_plan"));
        };
        let _ = ctx.progress(90).await;
        let record = DietPlanRecord {
            job_id: ctx.job_id(),
            user_id: owner,
            pet_information: merge_pet(&pet, &plan["pet_information"]),
            ai_suggestions: text(&plan, "ai_suggestions").to_owned(),
            pet_diet_plan: plan["pet_diet_plan"].clone(),
            created_at: slipway_core::time::now(),
        };
        self.0
            .db
            .upsert_diet_plan(&record)
            .await
            .map_err(|e| JobFailure::retryable(format!("cannot store the plan: {e}")))?;
        Ok(json!({
            "plan_id": ctx.job_id().to_string(),
            "pet_information": record.pet_information,
            "ai_suggestions": record.ai_suggestions,
            "pet_diet_plan": record.pet_diet_plan,
        }))
    }
}

/// The owner's description of the pet, completed with what the planner worked out.
fn merge_pet(pet: &PetInput, derived: &Value) -> Value {
    let mut info = serde_json::to_value(pet).unwrap_or_else(|_| json!({}));
    if let (Some(info), Some(derived)) = (info.as_object_mut(), derived.as_object()) {
        for (k, v) in derived {
            info.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pets_are_validated_by_field() {
        let ok: PetInput = serde_json::from_value(json!({"pet_type": "dog", "age": 2, "pet_weight": 25})).unwrap();
        ok.validate().unwrap();
        let bad: PetInput =
            serde_json::from_value(json!({"pet_type": " ", "age": -1, "pet_weight": 0, "pet_breed": "x".repeat(101)}))
                .unwrap();
        let Err(Error::Validation(errors)) = bad.validate() else { panic!("expected validation errors") };
        let fields: Vec<_> = errors.iter().map(|e| e.field().to_owned()).collect();
        assert_eq!(fields, ["pet_type", "age", "pet_weight", "pet_breed"]);
        let merged = merge_pet(&ok, &json!({"pet_type": "cat", "daily_calories_kcal": 1200}));
        assert_eq!((merged["pet_type"].as_str(), merged["daily_calories_kcal"].as_i64()), (Some("dog"), Some(1200)));
    }
}
