//! The published Forgejo API description (Swagger 2.0) and checking each request against it,
//! so a client that only works against the fake's leniency is caught here, not in production.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::form::{self, FormError, FormPart};
use super::schema::{self, SchemaError, TextError};

/// Why a request does not fit the spec: the first problem found, worded for a test failure.
#[derive(Debug, thiserror::Error)]
pub(super) enum SpecError {
    #[error("`{path}` is outside the API base path {base}")]
    OutsideBase { path: String, base: String },
    #[error("no path of the spec matches `{0}`")]
    NoPath(String),
    /// `allowed`: the methods the path has, joined.
    #[error("the spec has no {method} for `{path}` (it has {allowed})")]
    NoMethod {
        method: String,
        path: String,
        allowed: String,
    },
    #[error("path parameter `{name}` {error}")]
    PathParam {
        name: String,
        #[source]
        error: TextError,
    },
    /// `declared`: the query parameters the operation `id` has, joined, or "none".
    #[error("query parameter `{name}` is not declared for {id} (declared: {declared})")]
    Undeclared {
        name: String,
        id: String,
        declared: String,
    },
    #[error("query parameter `{name}` {error}")]
    QueryParam {
        name: String,
        #[source]
        error: TextError,
    },
    #[error("required query parameter `{name}` of {id} is missing")]
    MissingQuery { name: String, id: String },
    #[error("{0} takes no request body, but one was sent")]
    UnexpectedBody(String),
    #[error("the body of {id} must be sent as application/json, not `{media}`")]
    NotJsonMedia { id: String, media: String },
    #[error("the body of {id} is not JSON: {source}")]
    NotJson {
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{id}: {error}")]
    Body {
        id: String,
        #[source]
        error: SchemaError,
    },
    #[error("the body of {id} must be sent as multipart/form-data, not `{media}`")]
    NotFormMedia { id: String, media: String },
    #[error("the multipart body of {id} is malformed: {error}")]
    Form {
        id: String,
        #[source]
        error: FormError,
    },
    /// `declared`: the form fields the operation `id` has, joined.
    #[error("form field `{name}` is not declared for {id} (declared: {declared})")]
    UndeclaredField {
        name: String,
        id: String,
        declared: String,
    },
    #[error("required form field `{name}` of {id} is missing")]
    MissingField { name: String, id: String },
    #[error("form field `{name}` of {id} is sent {count} times; the spec declares one")]
    RepeatedField {
        name: String,
        id: String,
        count: usize,
    },
    #[error(
        "form field `{name}` of {id} is a file: its Content-Disposition needs a non-empty \
         filename (form-data; name=\"{name}\"; filename=\"...\")"
    )]
    NoFilename { name: String, id: String },
    #[error("form field `{name}` of {id} is not a file: send it without a filename")]
    NotAFile { name: String, id: String },
    #[error("form field `{name}` {error}")]
    FormField {
        name: String,
        #[source]
        error: TextError,
    },
}

/// Vendored rather than read from elsewhere at run time, so tests don't depend on the layout
/// of the machine they run on.
const SPEC_TEXT: &str = include_str!("../../../data/forgejo-api-v1.swagger.json");

pub(super) struct Spec {
    doc: Value,
    base_path: String,
    templates: Vec<Template>,
}

/// One path of the spec, e.g. `/repos/{owner}/{repo}/issues/{index}`.
struct Template {
    text: String,
    segments: Vec<Vec<Part>>,
}

/// A piece of a path segment: most segments are one literal or one parameter, a few are
/// mixed (`{index}.{diffType}`).
#[derive(Debug, PartialEq)]
enum Part {
    Literal(String),
    Param(String),
}

/// A request that passed every check, with what the checks worked out.
pub(super) struct Call {
    pub operation: &'static str,
    pub path_params: BTreeMap<String, String>,
    /// `None` when the operation takes no JSON body.
    pub body: Option<Value>,
    /// The parts of a `multipart/form-data` body, in the order sent; empty for an operation
    /// without form fields.
    pub form: Vec<FormPart>,
}

/// The spec, parsed on first use and shared by every fake in the process.
pub(super) fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(SPEC_TEXT))
}

impl Spec {
    fn parse(text: &str) -> Spec {
        let doc: Value = serde_json::from_str(text).expect("the vendored Forgejo spec is JSON");
        let base_path = doc["basePath"].as_str().unwrap_or("").to_owned();
        let templates = doc["paths"]
            .as_object()
            .expect("the vendored Forgejo spec has paths")
            .keys()
            .map(|text| Template {
                text: text.clone(),
                segments: text.split('/').skip(1).map(parse_segment).collect(),
            })
            .collect();
        Spec {
            doc,
            base_path,
            templates,
        }
    }

    /// Checks a request against the spec: path and method, query parameters, and the JSON or
    /// form body. The error is the first problem found, worded for a test failure.
    pub fn check(
        &'static self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Call, SpecError> {
        let rest = path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| SpecError::OutsideBase {
                path: path.to_owned(),
                base: self.base_path.clone(),
            })?;
        let (template, path_params) = self.route(method, rest)?;
        let operation = &self.doc["paths"][template.text.as_str()][method.to_ascii_lowercase()];
        let id = operation["operationId"]
            .as_str()
            .unwrap_or("(unnamed operation)");
        let params = self.parameters(template, operation);

        for (name, value) in &path_params {
            if let Some(param) = find(&params, "path", name) {
                schema::check_text(value, param).map_err(|error| SpecError::PathParam {
                    name: name.clone(),
                    error,
                })?;
            }
        }
        self.check_query(id, &params, query)?;
        let (body, form) = if params.iter().any(|p| p["in"] == "formData") {
            (None, check_form(id, &params, content_type, body)?)
        } else {
            (
                self.check_body(id, &params, content_type, body)?,
                Vec::new(),
            )
        };
        Ok(Call {
            operation: id,
            path_params,
            body,
            form,
        })
    }

    /// Checks one of the fake's answers against a definition of the spec, so what it sends
    /// is held to the same description as what it receives.
    #[cfg(test)]
    pub fn check_answer(&self, value: &Value, definition: &str) -> Result<(), SchemaError> {
        let schema = serde_json::json!({ "$ref": format!("#/definitions/{definition}") });
        schema::check(&self.doc, value, &schema)
    }

    /// Finds the spec path for `rest` that has `method`. Where several match, literal segments
    /// win over parameters, as in Forgejo's router (`issues/pinned` is not issue "pinned").
    fn route(
        &self,
        method: &str,
        rest: &str,
    ) -> Result<(&Template, BTreeMap<String, String>), SpecError> {
        let segments: Vec<String> = rest
            .split('/')
            .skip(1)
            .map(|s| super::url::decode(s, false))
            .collect();
        let mut candidates: Vec<(&Template, BTreeMap<String, String>)> = self
            .templates
            .iter()
            .filter_map(|t| t.matches(&segments).map(|params| (t, params)))
            .collect();
        if candidates.is_empty() {
            return Err(SpecError::NoPath(rest.to_owned()));
        }
        candidates.sort_by_key(|(t, _)| t.specificity());
        let lower = method.to_ascii_lowercase();
        let paths = &self.doc["paths"];
        if let Some(found) = candidates
            .iter()
            .position(|(t, _)| paths[t.text.as_str()].get(&lower).is_some())
        {
            return Ok(candidates.swap_remove(found));
        }
        let (best, _) = &candidates[0];
        let allowed: Vec<String> = paths[best.text.as_str()]
            .as_object()
            .map(|ops| {
                ops.keys()
                    .filter(|k| *k != "parameters")
                    .map(|k| k.to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default();
        Err(SpecError::NoMethod {
            method: method.to_owned(),
            path: best.text.clone(),
            allowed: allowed.join(", "),
        })
    }

    /// The operation's parameters with the path-wide ones, `$ref`s resolved.
    fn parameters(
        &'static self,
        template: &Template,
        operation: &'static Value,
    ) -> Vec<&'static Value> {
        let shared = &self.doc["paths"][template.text.as_str()]["parameters"];
        [shared, &operation["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| schema::resolve(&self.doc, p))
            .collect()
    }

    fn check_query(
        &self,
        id: &str,
        params: &[&Value],
        query: &[(String, String)],
    ) -> Result<(), SpecError> {
        for (name, value) in query {
            let param = find(params, "query", name).ok_or_else(|| {
                let declared: Vec<&str> = params
                    .iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                SpecError::Undeclared {
                    name: name.clone(),
                    id: id.to_owned(),
                    declared: if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    },
                }
            })?;
            schema::check_text(value, param).map_err(|error| SpecError::QueryParam {
                name: name.clone(),
                error,
            })?;
        }
        for param in params
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            let name = param["name"].as_str().unwrap_or_default();
            if !query.iter().any(|(n, _)| n == name) {
                return Err(SpecError::MissingQuery {
                    name: name.to_owned(),
                    id: id.to_owned(),
                });
            }
        }
        Ok(())
    }

    fn check_body(
        &self,
        id: &str,
        params: &[&Value],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Option<Value>, SpecError> {
        let empty = body.iter().all(u8::is_ascii_whitespace);
        let Some(param) = params.iter().find(|p| p["in"] == "body") else {
            return if empty {
                Ok(None)
            } else {
                Err(SpecError::UnexpectedBody(id.to_owned()))
            };
        };
        let value = if empty {
            // What a body-less request binds to: every field absent.
            Value::Object(Map::new())
        } else {
            let media = media_type(content_type);
            if !media.eq_ignore_ascii_case("application/json") {
                return Err(SpecError::NotJsonMedia {
                    id: id.to_owned(),
                    media: media.to_owned(),
                });
            }
            serde_json::from_slice(body).map_err(|source| SpecError::NotJson {
                id: id.to_owned(),
                source,
            })?
        };
        schema::check(&self.doc, &value, &param["schema"]).map_err(|error| SpecError::Body {
            id: id.to_owned(),
            error,
        })?;
        Ok(Some(value))
    }
}

/// Checks a form body: `multipart/form-data` the way the spec's form operations consume it,
/// each part a declared field sent once, files with a filename and other fields' text of
/// their type, every required field there.
fn check_form(
    id: &str,
    params: &[&Value],
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<FormPart>, SpecError> {
    let media = media_type(content_type);
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return Err(SpecError::NotFormMedia {
            id: id.to_owned(),
            media: media.to_owned(),
        });
    }
    let parts = form::parse(content_type.unwrap_or(""), body).map_err(|error| SpecError::Form {
        id: id.to_owned(),
        error,
    })?;
    let fields: Vec<&Value> = params
        .iter()
        .filter(|p| p["in"] == "formData")
        .copied()
        .collect();
    for part in &parts {
        let name = || part.name.clone();
        let param = find(&fields, "formData", &part.name).ok_or_else(|| {
            let declared: Vec<&str> = fields.iter().filter_map(|p| p["name"].as_str()).collect();
            SpecError::UndeclaredField {
                name: name(),
                id: id.to_owned(),
                declared: declared.join(", "),
            }
        })?;
        let count = parts.iter().filter(|p| p.name == part.name).count();
        if count > 1 {
            return Err(SpecError::RepeatedField {
                name: name(),
                id: id.to_owned(),
                count,
            });
        }
        // Go's form reader files a part under its filename only when that is not empty.
        let has_filename = part.filename.as_deref().is_some_and(|f| !f.is_empty());
        match (param["type"] == "file", has_filename) {
            (true, false) => {
                return Err(SpecError::NoFilename {
                    name: name(),
                    id: id.to_owned(),
                })
            }
            (false, true) => {
                return Err(SpecError::NotAFile {
                    name: name(),
                    id: id.to_owned(),
                })
            }
            (false, false) => {
                let text = String::from_utf8_lossy(&part.bytes);
                schema::check_text(&text, param).map_err(|error| SpecError::FormField {
                    name: name(),
                    error,
                })?;
            }
            (true, true) => {}
        }
    }
    for param in fields.iter().filter(|p| p["required"] == true) {
        let name = param["name"].as_str().unwrap_or_default();
        if !parts.iter().any(|p| p.name == name) {
            return Err(SpecError::MissingField {
                name: name.to_owned(),
                id: id.to_owned(),
            });
        }
    }
    Ok(parts)
}

/// The media type of a `Content-Type` value, without its parameters.
fn media_type(content_type: Option<&str>) -> &str {
    let value = content_type.unwrap_or("");
    value.split(';').next().unwrap_or("").trim()
}

impl Template {
    fn matches(&self, segments: &[String]) -> Option<BTreeMap<String, String>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (parts, segment) in self.segments.iter().zip(segments) {
            match_segment(parts, segment, &mut params)?;
        }
        Some(params)
    }

    /// Sorts literal segments before mixed ones before bare parameters, segment by segment.
    fn specificity(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|parts| match parts.as_slice() {
                [Part::Literal(_)] => 0,
                [Part::Param(_)] => 2,
                _ => 1,
            })
            .collect()
    }
}

fn parse_segment(segment: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        match (rest.find('{'), rest.find('}')) {
            (Some(0), Some(close)) => {
                parts.push(Part::Param(rest[1..close].to_owned()));
                rest = &rest[close + 1..];
            }
            (Some(open), _) => {
                parts.push(Part::Literal(rest[..open].to_owned()));
                rest = &rest[open..];
            }
            (None, _) => {
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
        }
    }
    parts
}

/// Matches one path segment; a parameter takes at least one character, and up to the next
/// literal piece when one follows.
fn match_segment(
    parts: &[Part],
    segment: &str,
    params: &mut BTreeMap<String, String>,
) -> Option<()> {
    let mut rest = segment;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
            Part::Param(name) => {
                let end = match parts.get(i + 1) {
                    Some(Part::Literal(next)) => rest.get(1..)?.find(next.as_str())? + 1,
                    _ => rest.len(),
                };
                if end == 0 {
                    return None;
                }
                params.insert(name.clone(), rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    rest.is_empty().then_some(())
}

fn find<'a>(params: &[&'a Value], location: &str, name: &str) -> Option<&'a Value> {
    params
        .iter()
        .find(|p| p["in"] == location && p["name"] == name)
        .copied()
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
