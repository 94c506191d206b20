//! JSON-RPC 2.0 framing: single calls, batches, notifications and the standard errors.
//!
//! Services only see `(method, params)`; everything about ids, batches and error objects
//! lives here so every simulated service frames its answers the same way.

use serde_json::{json, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;

/// An error object of a JSON-RPC response.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    pub fn method_not_found(method: &str) -> RpcError {
        RpcError::new(METHOD_NOT_FOUND, format!("method not found: {method}"))
    }

    pub fn invalid_params(why: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, format!("invalid params: {}", why.into()))
    }

    fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

/// What the HTTP layer should send back.
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// A response object, or an array of them for a batch.
    Json(Value),
    /// Only notifications were sent: nothing to answer (HTTP 204).
    Nothing,
}

/// A named parameter, or the `index`-th positional one, so clients of either style work.
pub fn param<'a>(params: &'a Value, name: &str, index: usize) -> Option<&'a Value> {
    match params {
        Value::Object(map) => map.get(name),
        Value::Array(items) => items.get(index),
        _ => None,
    }
}

/// A required string parameter.
pub fn string_param<'a>(params: &'a Value, name: &str, index: usize) -> Result<&'a str, RpcError> {
    param(params, name, index)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params(format!("{name:?} (string) is required")))
}

/// Answers one HTTP body of JSON-RPC, calling `call` for each request in it.
pub fn handle(body: &[u8], mut call: impl FnMut(&str, &Value) -> Result<Value, RpcError>) -> Reply {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::new(PARSE_ERROR, format!("parse error: {e}"));
            return Reply::Json(failure(Value::Null, &err));
        }
    };
    match parsed {
        Value::Array(items) if items.is_empty() => Reply::Json(failure(
            Value::Null,
            &RpcError::new(INVALID_REQUEST, "invalid request: empty batch"),
        )),
        Value::Array(items) => {
            let answers: Vec<Value> = items.iter().filter_map(|i| one(i, &mut call)).collect();
            if answers.is_empty() {
                Reply::Nothing
            } else {
                Reply::Json(Value::Array(answers))
            }
        }
        single => match one(&single, &mut call) {
            Some(answer) => Reply::Json(answer),
            None => Reply::Nothing,
        },
    }
}

/// Answers one request object; `None` for a notification.
fn one(
    request: &Value,
    call: &mut impl FnMut(&str, &Value) -> Result<Value, RpcError>,
) -> Option<Value> {
    let Some(obj) = request.as_object() else {
        return Some(invalid(Value::Null, "not an object"));
    };
    // A notification is a request without an "id" member; `"id": null` still gets an answer.
    let id = obj.get("id").cloned();
    let answer_id = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(invalid(answer_id, "jsonrpc must be \"2.0\""));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Some(invalid(answer_id, "method must be a string"));
    };
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    if !matches!(params, Value::Null | Value::Object(_) | Value::Array(_)) {
        return Some(invalid(answer_id, "params must be an object or an array"));
    }
    let outcome = call(method, &params);
    let id = id?;
    Some(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(err) => failure(id, &err),
    })
}

fn invalid(id: Value, why: &str) -> Value {
    failure(
        id,
        &RpcError::new(INVALID_REQUEST, format!("invalid request: {why}")),
    )
}

fn failure(id: Value, err: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": err.to_json()})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(method: &str, params: &Value) -> Result<Value, RpcError> {
        match method {
            "echo" => Ok(params.clone()),
            other => Err(RpcError::method_not_found(other)),
        }
    }

    #[test]
    fn single_call_and_errors() {
        let r = handle(
            br#"{"jsonrpc":"2.0","id":7,"method":"echo","params":[1]}"#,
            echo,
        );
        assert_eq!(r, Reply::Json(json!({"jsonrpc":"2.0","id":7,"result":[1]})));
        let Reply::Json(v) = handle(br#"{"jsonrpc":"2.0","id":"a","method":"nope"}"#, echo) else {
            panic!("expected an answer");
        };
        assert_eq!(v["error"]["code"], METHOD_NOT_FOUND);
        assert_eq!(v["id"], "a");
        let Reply::Json(v) = handle(b"{not json", echo) else {
            panic!("expected an answer");
        };
        assert_eq!(v["error"]["code"], PARSE_ERROR);
        assert_eq!(v["id"], Value::Null);
    }

    #[test]
    fn batches_and_notifications() {
        let body = br#"[{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}},
                        {"jsonrpc":"2.0","method":"echo"},
                        5]"#;
        let Reply::Json(Value::Array(items)) = handle(body, echo) else {
            panic!("expected a batch answer");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["result"]["a"], 1);
        assert_eq!(items[1]["error"]["code"], INVALID_REQUEST);
        assert_eq!(
            handle(br#"{"jsonrpc":"2.0","method":"echo"}"#, echo),
            Reply::Nothing
        );
        assert_eq!(
            handle(br#"[{"jsonrpc":"2.0","method":"echo"}]"#, echo),
            Reply::Nothing
        );
        let Reply::Json(v) = handle(b"[]", echo) else {
            panic!("expected an answer");
        };
        assert_eq!(v["error"]["code"], INVALID_REQUEST);
    }

    #[test]
    fn params_by_name_or_position() {
        assert_eq!(string_param(&json!({"name": "x"}), "name", 0), Ok("x"));
        assert_eq!(string_param(&json!(["y"]), "name", 0), Ok("y"));
        assert!(string_param(&Value::Null, "name", 0).is_err());
    }
}
