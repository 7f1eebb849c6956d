//! CloudTrail record serialisation.
//!
//! Records are serde structs borrowing strings from the principal, the catalogue and the
//! per-stream payload pools, so rendering millions of records allocates only for the
//! rare error message. Field order follows what CloudTrail writes.

use std::fmt::Write as _;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::catalog::{self, Api, Code, Kind, CATALOG};
use super::generate::Event;
use super::account::Account;
use super::principals::{IdKind, Principal};
use super::resources::{self, ParamSet};
use super::rng::{self, splitmix, tag};
use super::setup::Setup;
use super::timefmt::{Stamp, HOUR};

/// Everything records of one (account, region) share.
pub(super) struct StreamCtx<'a> {
    pub account: &'a Account,
    pub region: &'static str,
    hosts: Vec<String>,
    pools: Vec<Vec<ParamSet>>,
}

impl<'a> StreamCtx<'a> {
    pub(super) fn new(setup: &Setup, account: &'a Account, region: usize) -> Self {
        let name = setup.regions[region];
        let mut rng = rng::rng_for(
            setup.seed,
            &[tag::RESOURCES, account.index as u64, region as u64 + 1],
        );
        Self {
            account,
            region: name,
            hosts: CATALOG.iter().map(|api| host(api, name)).collect(),
            pools: resources::build_pools(&account.res, &account.id, name, &mut rng),
        }
    }
}

fn host(api: &Api, region: &str) -> String {
    let service = api.source.split('.').next().unwrap_or(api.source);
    if api.global() {
        api.source.to_owned()
    } else {
        format!("{service}.{region}.amazonaws.com")
    }
}

/// A short id string kept on the stack.
#[derive(Clone, Copy)]
struct Id {
    buf: [u8; 36],
    len: usize,
}

impl Id {
    fn uuid(words: [u64; 2]) -> Self {
        let mut buf = [0u8; 36];
        uuid::Builder::from_random_bytes(rng::uuid_bytes(words))
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut buf);
        Self { buf, len: 36 }
    }

    /// S3 request ids are 16 upper-case hex digits.
    fn s3(word: u64) -> Self {
        let mut buf = [0u8; 36];
        for (i, slot) in buf.iter_mut().take(16).enumerate() {
            *slot = b"0123456789ABCDEF"[((word >> (60 - 4 * i)) & 0xF) as usize];
        }
        Self { buf, len: 16 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoked_by: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    session_issuer: Option<Issuer<'a>>,
    attributes: Attributes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issuer<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    principal_id: &'a str,
    arn: &'a str,
    account_id: &'a str,
    user_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    creation_date: Stamp,
    mfa_authenticated: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tls<'a> {
    tls_version: &'static str,
    cipher_suite: &'static str,
    client_provided_host_header: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    event_version: &'static str,
    user_identity: Identity<'a>,
    event_time: Stamp,
    event_source: &'static str,
    event_name: &'static str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    user_agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    request_parameters: Option<&'a Value>,
    response_elements: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_event_data: Option<&'a Value>,
    #[serde(rename = "requestID")]
    request_id: Id,
    #[serde(rename = "eventID")]
    event_id: Id,
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<&'a Value>,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_details: Option<Tls<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_credential_from_console: Option<&'static str>,
}

/// Append `{"Records":[...]}` for `events` to `out`, recording where each record ends.
pub(super) fn write_json<'e>(
    ctx: &StreamCtx,
    events: impl Iterator<Item = &'e Event>,
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> serde_json::Result<()> {
    let mut message = String::new();
    out.extend_from_slice(b"{\"Records\":[");
    for (i, ev) in events.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_record(ctx, ev, out, &mut message)?;
        ends.push(out.len());
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

fn write_record(
    ctx: &StreamCtx,
    ev: &Event,
    out: &mut Vec<u8>,
    message: &mut String,
) -> serde_json::Result<()> {
    let p = &ctx.account.principals[usize::from(ev.principal)];
    let api = catalog::api(ev.api);
    let h = splitmix(ev.key[0] ^ ev.key[1].rotate_left(23));
    let code = Code::from_id(ev.err);
    if let Some(code) = code {
        error_message(code, p, api, message);
    }
    let pool = &ctx.pools[usize::from(ev.api)];
    let set = pool.get((h % pool.len().max(1) as u64) as usize);
    let agent = agent(p, api, h);
    let console = agent == "console.amazonaws.com" || api.kind == Kind::SignIn;
    let record = Record {
        event_version: api.event_version(),
        user_identity: identity(ctx, p, ev, api, console),
        event_time: Stamp::new(ev.t),
        event_source: api.source,
        event_name: api.name,
        aws_region: ctx.region,
        source_ip_address: &p.ips[((h >> 8) % p.ips.len() as u64) as usize],
        user_agent: agent,
        error_code: code.map(Code::as_str),
        error_message: code.map(|_| message.as_str()),
        request_parameters: set.and_then(|s| s.request.as_ref()),
        response_elements: set
            .and_then(|s| s.response.as_ref())
            .filter(|_| code.is_none()),
        additional_event_data: set.and_then(|s| s.extra.as_ref()),
        request_id: request_id(api, h),
        event_id: Id::uuid(ev.key),
        read_only: api.read_only,
        resources: set.and_then(|s| s.resources.as_ref()),
        event_type: api.event_type(),
        management_event: api.management(),
        recipient_account_id: &ctx.account.id,
        event_category: api.category(),
        tls_details: tls(ctx, p, ev, api, console, h),
        session_credential_from_console: (console && api.kind != Kind::SignIn).then_some("true"),
    };
    serde_json::to_writer(out, &record)
}

fn agent<'a>(p: &'a Principal, api: &Api, h: u64) -> &'a str {
    if api.kind == Kind::SignIn {
        if let Some(browser) = &p.browser {
            return browser;
        }
    }
    p.agents
        .get(((h >> 16) % p.agents.len().max(1) as u64) as usize)
        .map_or("", String::as_str)
}

fn request_id(api: &Api, h: u64) -> Id {
    if api.source == "s3.amazonaws.com" {
        Id::s3(splitmix(h))
    } else {
        Id::uuid([splitmix(h), splitmix(h ^ 0x5DEE_CE66)])
    }
}

/// Temporary credentials are issued hourly-ish; the session start is the hour.
fn session_start(t: i64) -> Stamp {
    Stamp::new(t - t.rem_euclid(HOUR))
}

fn key_for(p: &Principal, t: i64) -> Option<&str> {
    let n = p.keys.len().max(1) as i64;
    p.keys
        .get((t.div_euclid(HOUR) % n) as usize)
        .map(String::as_str)
}

fn identity<'a>(
    ctx: &'a StreamCtx,
    p: &'a Principal,
    ev: &Event,
    api: &Api,
    console: bool,
) -> Identity<'a> {
    match p.id_kind {
        IdKind::Service => Identity {
            kind: "AWSService",
            invoked_by: Some(&p.name),
            ..Identity::default()
        },
        IdKind::IamUser => user_identity(ctx, p, ev, api, console),
        IdKind::AssumedRole => role_identity(ctx, p, ev),
    }
}

/// Console sessions of IAM users use temporary keys and carry a session context.
fn user_identity<'a>(
    ctx: &'a StreamCtx,
    p: &'a Principal,
    ev: &Event,
    api: &Api,
    console: bool,
) -> Identity<'a> {
    let session = console && api.kind != Kind::SignIn;
    Identity {
        kind: "IAMUser",
        principal_id: Some(&p.principal_id),
        arn: Some(&p.arn),
        account_id: Some(&ctx.account.id),
        access_key_id: match (api.kind, console) {
            (Kind::SignIn, _) => None,
            (_, true) => p.console_key.as_deref(),
            _ => key_for(p, ev.t),
        },
        user_name: Some(&p.name),
        session_context: session.then(|| SessionContext {
            session_issuer: None,
            attributes: Attributes {
                creation_date: session_start(ev.t),
                mfa_authenticated: "true",
            },
        }),
        invoked_by: None,
    }
}

fn role_identity<'a>(ctx: &'a StreamCtx, p: &'a Principal, ev: &Event) -> Identity<'a> {
    Identity {
        kind: "AssumedRole",
        principal_id: Some(&p.principal_id),
        arn: Some(&p.arn),
        account_id: Some(&ctx.account.id),
        access_key_id: key_for(p, ev.t),
        user_name: None,
        session_context: Some(SessionContext {
            session_issuer: Some(Issuer {
                kind: "Role",
                principal_id: &p.issuer_id,
                arn: &p.issuer_arn,
                account_id: &ctx.account.id,
                user_name: &p.name,
            }),
            attributes: Attributes {
                creation_date: session_start(ev.t),
                mfa_authenticated: "false",
            },
        }),
        invoked_by: p.invoked_by.as_deref(),
    }
}

/// TLS details appear for SDK and CLI calls to public endpoints, not for calls made by
/// AWS services on a principal's behalf or from the console.
fn tls<'a>(
    ctx: &'a StreamCtx,
    p: &Principal,
    ev: &Event,
    api: &Api,
    console: bool,
    h: u64,
) -> Option<Tls<'a>> {
    let via_service = p.id_kind == IdKind::Service || p.invoked_by.is_some();
    if console || via_service || matches!(api.kind, Kind::SignIn | Kind::Service) {
        return None;
    }
    let modern = (h >> 40) & 3 != 0;
    Some(Tls {
        tls_version: if modern { "TLSv1.3" } else { "TLSv1.2" },
        cipher_suite: if modern {
            "TLS_AES_128_GCM_SHA256"
        } else {
            "ECDHE-RSA-AES128-GCM-SHA256"
        },
        client_provided_host_header: &ctx.hosts[usize::from(ev.api)],
    })
}

fn error_message(code: Code, p: &Principal, api: &Api, out: &mut String) {
    out.clear();
    if let Some(text) = code.static_message() {
        out.push_str(text);
        return;
    }
    if code == Code::UnauthorizedOperation {
        out.push_str("You are not authorized to perform this operation. ");
    }
    let (svc, action) = (api.iam_prefix(), api.iam_action());
    let caller = if p.arn.is_empty() {
        p.name.as_str()
    } else {
        p.arn.as_str()
    };
    let _ = write!(
        out,
        "User: {caller} is not authorized to perform: {svc}:{action} because no identity-based policy allows the {svc}:{action} action"
    );
}
