//! The mock honours tool choice: it reads the choice each protocol sends, lets a script step answer
//! differently when a tool call is forced, and refuses (HTTP 400, as a provider would) to answer in a way the
//! choice forbids: text under `required` or a named tool, another tool than the named one, a call under `none`.

use serde_json::Value;

use super::reply::{Kind, MockReply};
use crate::provider::Protocol;
use crate::types::ToolChoice;

/// The tool choice and the names of the tools a request body carries (absent choice: `Auto`).
pub(crate) fn received(protocol: Protocol, body: &Value) -> Result<(ToolChoice, Vec<String>), String> {
    let names = |list: Option<&Value>, pointer: &str| -> Vec<String> {
        list.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.pointer(pointer).and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let unknown = |v: &Value| format!("mock: unknown tool choice {v}");
    match protocol {
        Protocol::OpenAi => {
            let tools = names(body.get("tools"), "/function/name");
            let choice = match body.get("tool_choice") {
                None => ToolChoice::Auto,
                Some(Value::String(s)) => match s.as_str() {
                    "auto" => ToolChoice::Auto,
                    "none" => ToolChoice::None,
                    "required" => ToolChoice::Required,
                    _ => return Err(unknown(&body["tool_choice"])),
                },
                Some(v) => match (v["type"].as_str(), v.pointer("/function/name").and_then(Value::as_str)) {
                    (Some("function"), Some(name)) => ToolChoice::Tool(name.to_owned()),
                    _ => return Err(unknown(v)),
                },
            };
            Ok((choice, tools))
        }
        Protocol::Anthropic => {
            let tools = names(body.get("tools"), "/name");
            let choice = match body.get("tool_choice") {
                None => ToolChoice::Auto,
                Some(v) => match (v["type"].as_str(), v["name"].as_str()) {
                    (Some("auto"), _) => ToolChoice::Auto,
                    (Some("none"), _) => ToolChoice::None,
                    (Some("any"), _) => ToolChoice::Required,
                    (Some("tool"), Some(name)) => ToolChoice::Tool(name.to_owned()),
                    _ => return Err(unknown(v)),
                },
            };
            Ok((choice, tools))
        }
        Protocol::Gemini => {
            let declarations = body.pointer("/tools/0/functionDeclarations");
            let tools = names(declarations, "/name");
            let choice = match body.pointer("/toolConfig/functionCallingConfig") {
                None => ToolChoice::Auto,
                Some(v) => {
                    let allowed = names(v.get("allowedFunctionNames"), "");
                    match (v["mode"].as_str(), allowed.as_slice()) {
                        (Some("AUTO"), _) => ToolChoice::Auto,
                        (Some("NONE"), _) => ToolChoice::None,
                        (Some("ANY"), [one]) => ToolChoice::Tool(one.clone()),
                        (Some("ANY"), _) => ToolChoice::Required,
                        _ => return Err(unknown(v)),
                    }
                }
            };
            Ok((choice, tools))
        }
    }
}

/// The reply to send under `choice`: the step's forced alternative when a call is forced, then checked
/// against the choice; the error is the mock's 400 message.
pub(crate) fn apply(choice: &ToolChoice, tools: &[String], reply: MockReply) -> Result<MockReply, String> {
    if let ToolChoice::Tool(name) = choice
        && !tools.contains(name)
    {
        return Err(format!("mock: tool_choice names {name:?}, which is not among the tools {tools:?}"));
    }
    if matches!(choice, ToolChoice::Required) && tools.is_empty() {
        return Err("mock: tool_choice required, but the request has no tools".into());
    }
    let forced = matches!(choice, ToolChoice::Required | ToolChoice::Tool(_));
    let reply = match reply.forced.clone() {
        Some(alternative) if forced => *alternative,
        _ => reply,
    };
    let Kind::Answer { calls, .. } = &reply.kind else { return Ok(reply) };
    match choice {
        ToolChoice::Required | ToolChoice::Tool(_) if calls.is_empty() => {
            Err(format!("mock: tool_choice {choice:?} forbids a text answer, and the script gave one"))
        }
        ToolChoice::Tool(name) if calls.iter().any(|(called, _)| called != name) => {
            Err(format!("mock: tool_choice forces {name:?}, and the script calls another tool"))
        }
        ToolChoice::None if !calls.is_empty() => {
            Err("mock: tool_choice none forbids tool calls, and the script makes one".into())
        }
        _ => Ok(reply),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_protocol_s_choice_is_read() {
        let openai = |c: Value| json!({"tools": [{"type": "function", "function": {"name": "add"}}], "tool_choice": c});
        assert_eq!(received(Protocol::OpenAi, &openai(json!("required"))).unwrap().0, ToolChoice::Required);
        let named = openai(json!({"type": "function", "function": {"name": "add"}}));
        assert_eq!(received(Protocol::OpenAi, &named).unwrap(), (ToolChoice::Tool("add".into()), vec!["add".into()]));
        assert!(received(Protocol::OpenAi, &openai(json!("sometimes"))).is_err());
        let anthropic = json!({"tools": [{"name": "add"}], "tool_choice": {"type": "any"}});
        assert_eq!(received(Protocol::Anthropic, &anthropic).unwrap().0, ToolChoice::Required);
        let gemini = json!({"tools": [{"functionDeclarations": [{"name": "add"}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["add"]}}});
        assert_eq!(received(Protocol::Gemini, &gemini).unwrap(), (ToolChoice::Tool("add".into()), vec!["add".into()]));
        assert_eq!(received(Protocol::Gemini, &json!({})).unwrap().0, ToolChoice::Auto);
    }

    #[test]
    fn forced_steps_switch_and_forbidden_answers_are_refused() {
        let tools = vec!["add".to_owned()];
        let step = MockReply::text("I think 2").when_forced(MockReply::tool_call("add", json!({"a": 1})));
        assert_eq!(apply(&ToolChoice::Auto, &tools, step.clone()).unwrap().kind, step.kind);
        let forced = apply(&ToolChoice::Required, &tools, step.clone()).unwrap();
        assert!(matches!(forced.kind, Kind::Answer { ref calls, .. } if calls.len() == 1));
        assert!(apply(&ToolChoice::Required, &tools, MockReply::text("2")).unwrap_err().contains("text"));
        assert!(apply(&ToolChoice::Tool("add".into()), &tools, MockReply::tool_call("mul", json!({}))).is_err());
        assert!(apply(&ToolChoice::Tool("mul".into()), &tools, step).is_err());
        assert!(apply(&ToolChoice::None, &tools, MockReply::tool_call("add", json!({}))).is_err());
        assert!(apply(&ToolChoice::Required, &tools, MockReply::status(500, "{}")).is_ok());
    }
}
