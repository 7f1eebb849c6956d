//! Injected anomalies and decoys, planned before the background is generated.
//!
//! Each scenario picks a principal (a new identity, stolen keys or a misused role), a
//! time in the judged window and a number of calls sized against the background rate
//! of the targeted API, then emits explicit events into its stream and a label. All
//! choices come from one seeded stream, in a fixed order, so plans are reproducible.

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::Rng;

use super::catalog::{self, Code};
use super::generate::{mean_rate, rate_at, Event};
use super::labels::{Anomaly, Decoy, Planted, CALL_RATE, ERROR_RATE};
use super::account::Account;
use super::principals::{self, Principal, Role, ATTACKER_OCTETS, CI_MIX};
use super::rng::{self, tag, SimRng};
use super::setup::Setup;
use super::timefmt::{floor_minute, iso, weekday, HOUR};

/// APIs an enumeration with stolen keys tries, per service.
pub(super) const ENUM_EC2: [&str; 11] = [
    "DescribeInstances",
    "DescribeSecurityGroups",
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeVolumes",
    "DescribeSnapshots",
    "DescribeImages",
    "RunInstances",
    "CreateSnapshot",
    "AuthorizeSecurityGroupIngress",
    "CreateTags",
];

pub(super) const ENUM_S3: [&str; 8] = [
    "ListBuckets",
    "GetBucketPolicy",
    "GetBucketAcl",
    "GetBucketLocation",
    "GetBucketVersioning",
    "PutBucketPolicy",
    "PutBucketAcl",
    "CreateBucket",
];

pub(super) const ENUM_IAM: [&str; 8] = [
    "ListUsers",
    "ListRoles",
    "GetAccountAuthorizationDetails",
    "ListAccessKeys",
    "GetUser",
    "CreateUser",
    "CreateAccessKey",
    "AttachUserPolicy",
];

/// The duplicate-delivery hour of one account.
pub(super) struct DupWindow {
    pub account: usize,
    pub start: i64,
    pub end: i64,
}

pub(super) struct Plan {
    /// Injected events per stream (`Setup::stream`).
    pub injected: Vec<Vec<Event>>,
    pub labels: Planted,
    /// Source IP of each anomaly, parallel to `labels.anomalies`.
    pub attacker_ips: Vec<String>,
    pub dup: Option<DupWindow>,
}

/// Calls of one injected burst before times are drawn.
struct Burst {
    region: usize,
    principal: usize,
    start: i64,
    dur: i64,
    calls: Vec<(u16, u8)>,
}

type Scenario<'a> = fn(&mut Planner<'a>, &mut Account);

/// A decoy spike of a principal's own calls.
struct Spike<'s> {
    kind: &'static str,
    who: usize,
    region: usize,
    apis: &'s [u16],
    mult: f64,
    min: usize,
}

/// Label fields a burst cannot infer.
struct Meta {
    kind: &'static str,
    insight: &'static str,
}

pub(super) fn plan<'a>(setup: &'a Setup, accounts: &mut [Account]) -> Plan {
    let mut p = Planner {
        setup,
        rng: rng::rng_for(setup.seed, &[tag::SCENARIO]),
        plan: Plan {
            injected: vec![Vec::new(); setup.streams()],
            labels: Planted::default(),
            attacker_ips: Vec::new(),
            dup: None,
        },
    };
    let mix = setup.mix.clone();
    for account in accounts.iter_mut() {
        let scenarios: [(u32, Scenario<'a>); 8] = [
            (mix.write_spike, Planner::write_spike),
            (mix.iam_burst, Planner::iam_burst),
            (mix.error_burst, Planner::error_burst),
            (mix.low_volume, Planner::low_volume),
            (mix.business_hours, Planner::business_hours),
            (mix.weekend, Planner::weekend),
            (mix.new_api, Planner::new_api),
            (mix.error_on_erring_api, Planner::erring_api),
        ];
        for (count, scenario) in scenarios {
            for _ in 0..count {
                scenario(&mut p, account);
            }
        }
        p.recurring_decoys(account);
        if mix.decoys {
            p.read_only_spike(account);
            // Judged with data events (the reach mix), a 100x GetObject spike is an
            // anomaly, not a look-alike: the data-event decoys stand in for it.
            if !mix.data_decoys {
                p.data_spike(account);
            }
        }
    }
    if mix.decoys {
        p.duplicate_hour();
    }
    // The reach scenarios draw from a stream of their own, after every other choice: the
    // standard and hard mixes plan exactly what they planned before these existed.
    let reach = mix.quiet_persistence + mix.data_exfil + mix.mass_delete > 0 || mix.data_decoys;
    if reach {
        p.rng = rng::rng_for(setup.seed, &[tag::REACH]);
        for account in accounts.iter_mut() {
            for _ in 0..mix.quiet_persistence {
                p.quiet_persistence(account);
            }
            for _ in 0..mix.data_exfil {
                p.data_exfil(account);
            }
            for _ in 0..mix.mass_delete {
                p.mass_delete(account);
            }
            if mix.data_decoys {
                p.backup_read(account);
                p.upload_growth(account);
            }
        }
    }
    p.plan
}

/// The IAM writes a persistence attempt chooses from.
const PERSISTENCE: [&str; 6] = [
    "CreateUser",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateLoginProfile",
    "PutUserPolicy",
    "UpdateAssumeRolePolicy",
];

struct Planner<'a> {
    setup: &'a Setup,
    rng: SimRng,
    plan: Plan,
}

impl Planner<'_> {
    fn regions(&self) -> usize {
        self.setup.regions.len()
    }

    fn any_region(&mut self) -> usize {
        self.rng.gen_range(0..self.regions())
    }

    /// A start time in the judged window on a day accepted by `day_ok`, between the
    /// given hours, leaving room for `dur` seconds.
    fn when(&mut self, day_ok: impl Fn(u8) -> bool, hours: Range<i64>, dur: i64) -> Option<i64> {
        let days: Vec<u32> = (self.setup.quiet_days..self.setup.days)
            .filter(|&d| day_ok(weekday(self.setup.day_start(d))))
            .collect();
        if days.is_empty() {
            return None;
        }
        let day = days[self.rng.gen_range(0..days.len())];
        let lo = hours.start * HOUR;
        let hi = (hours.end * HOUR - dur).max(lo + 1);
        Some(self.setup.day_start(day) + self.rng.gen_range(lo..hi))
    }

    /// A fresh attacker address no other anomaly uses.
    fn attacker_ip(&mut self) -> String {
        loop {
            let ip = rng::ip(&mut self.rng, &ATTACKER_OCTETS);
            if !self.plan.attacker_ips.contains(&ip) {
                return ip;
            }
        }
    }

    fn stolen(&mut self, account: &mut Account, victim: usize, session: Option<&str>) -> usize {
        let agent = principals::attacker_agent(&mut self.rng);
        let ip = self.attacker_ip();
        let p = account.principals[victim].hijacked(agent, ip, session);
        account.push(p)
    }

    /// Stolen human keys or a misused automation role, half and half.
    fn hijack(&mut self, account: &mut Account, humans_only: bool) -> usize {
        let humans = account.with_role(Role::Human);
        let roles: Vec<usize> = [Role::Autoscaler, Role::App, Role::Poller]
            .iter()
            .flat_map(|r| account.with_role(*r))
            .collect();
        let pick_human = humans_only || roles.is_empty() || self.rng.gen_bool(0.5);
        let pool = if (pick_human && !humans.is_empty()) || roles.is_empty() {
            &humans
        } else {
            &roles
        };
        if pool.is_empty() {
            return self.newcomer(account);
        }
        let victim = pool[self.rng.gen_range(0..pool.len())];
        if account.principals[victim].role == Role::Human {
            return self.stolen(account, victim, None);
        }
        let session = format!(
            "botocore-session-17{}",
            rng::chars(&mut self.rng, 8, b"0123456789")
        );
        self.stolen(account, victim, Some(&session))
    }

    /// An identity never seen before: a new IAM user or a cross-account role session.
    fn newcomer(&mut self, account: &mut Account) -> usize {
        let mut p = if self.rng.gen_bool(0.6) {
            let name = rng::pick(
                &mut self.rng,
                &["svc-sync", "adm-temp", "backup-operator", "devops2"],
            )
            .to_string();
            principals::iam_user(&mut self.rng, &account.id, &name)
        } else {
            let id = principals::role_id(&mut self.rng);
            let session = format!("sess-{}", rng::chars(&mut self.rng, 8, rng::LOWER_ALNUM));
            principals::role_session(
                &mut self.rng,
                &account.id,
                "OrganizationAccountAccessRole",
                &id,
                &session,
            )
        };
        p.role = Role::Attacker;
        p.agents = vec![principals::attacker_agent(&mut self.rng)];
        p.ips = vec![self.attacker_ip()];
        account.push(p)
    }

    /// Draw times for a burst and add its events; returns the first and last call time.
    fn emit(&mut self, account: &Account, b: &Burst) -> (i64, i64) {
        let stream = self.setup.stream(account.index, b.region);
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for &(api, err) in &b.calls {
            let t = b.start + self.rng.gen_range(0..b.dur.max(1));
            (first, last) = (first.min(t), last.max(t));
            self.plan.injected[stream].push(Event::new(&mut self.rng, t, b.principal, api, err));
        }
        (first, last)
    }

    fn commit(&mut self, account: &Account, meta: Meta, b: Burst) {
        if b.calls.is_empty() {
            return;
        }
        let (first, last) = self.emit(account, &b);
        let p: &Principal = &account.principals[b.principal];
        let mut apis: Vec<u16> = b.calls.iter().map(|c| c.0).collect();
        apis.sort_unstable();
        apis.dedup();
        let error_code = (meta.insight == ERROR_RATE)
            .then(|| dominant_code(&b.calls))
            .flatten();
        let label = Anomaly {
            id: format!("a{}", self.plan.labels.anomalies.len() + 1),
            kind: meta.kind.to_owned(),
            account: account.id.clone(),
            region: self.setup.regions[b.region].to_owned(),
            insight_type: meta.insight.to_owned(),
            event_source: catalog::api(apis[0]).source.to_owned(),
            event_names: apis
                .iter()
                .map(|&a| catalog::api(a).name.to_owned())
                .collect(),
            error_code,
            principal_arn: p.arn.clone(),
            start: iso(floor_minute(first)),
            end: iso(floor_minute(last)),
            calls: b.calls.len() as u64,
        };
        self.plan
            .attacker_ips
            .push(p.ips.first().cloned().unwrap_or_default());
        self.plan.labels.anomalies.push(label);
    }

    /// `mult` times an API's usual rate over `dur` seconds, at least `min` calls.
    fn sized(
        &self,
        account: &Account,
        region: usize,
        api: u16,
        mult: f64,
        dur: i64,
        min: usize,
    ) -> usize {
        let expected = mean_rate(self.setup, account, region, api) * mult * dur as f64 / 60.0;
        (expected.round() as usize).clamp(min, 200_000)
    }

    fn write_spike(&mut self, account: &mut Account) {
        let name = *rng::pick(
            &mut self.rng,
            &[
                "RunInstances",
                "CreateTags",
                "CreateSnapshot",
                "SendCommand",
            ],
        );
        let Some(api) = catalog::id(name) else { return };
        let region = self.any_region();
        let principal = self.hijack(account, false);
        let dur = self.rng.gen_range(10..=40) * 60;
        let mult = self.rng.gen_range(20.0..100.0);
        let n = self.sized(account, region, api, mult, dur, 50);
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "write_spike",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    fn iam_burst(&mut self, account: &mut Account) {
        let apis = catalog::ids(&[
            "CreateUser",
            "CreateAccessKey",
            "AttachUserPolicy",
            "PutUserPolicy",
            "CreateLoginProfile",
        ]);
        if apis.is_empty() {
            return;
        }
        let n = self.rng.gen_range(15..=60usize);
        let mut calls: Vec<(u16, u8)> = apis.iter().map(|&a| (a, 0)).collect();
        while calls.len() < n {
            calls.push((*rng::pick(&mut self.rng, &apis), 0));
        }
        let principal = if self.rng.gen_bool(0.85) {
            self.newcomer(account)
        } else {
            self.hijack(account, true)
        };
        let dur = self.rng.gen_range(2..=10) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region: 0,
            principal,
            start,
            dur,
            calls,
        };
        self.commit(
            account,
            Meta {
                kind: "iam_burst",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    fn error_burst(&mut self, account: &mut Account) {
        let apis = match self.rng.gen_range(0..3) {
            0 => catalog::ids(&ENUM_EC2),
            1 => catalog::ids(&ENUM_S3),
            _ => catalog::ids(&ENUM_IAM),
        };
        let Some(&first) = apis.first() else { return };
        let code = catalog::denial_code(catalog::api(first).source).id();
        let region = if catalog::api(first).global() {
            0
        } else {
            self.any_region()
        };
        let n = (f64::from(self.rng.gen_range(60..=180u32)) * self.setup.scale.max(1.0).sqrt())
            .round() as usize;
        let calls = (0..n)
            .map(|_| (*rng::pick(&mut self.rng, &apis), code))
            .collect();
        let principal = if self.rng.gen_bool(0.7) {
            self.hijack(account, false)
        } else {
            self.newcomer(account)
        };
        let dur = self.rng.gen_range(5..=30) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls,
        };
        self.commit(
            account,
            Meta {
                kind: "error_burst",
                insight: ERROR_RATE,
            },
            burst,
        );
    }

    fn low_volume(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("ScheduleKeyDeletion") else {
            return;
        };
        let region = self.any_region();
        let principal = self.hijack(account, true);
        let n = self.rng.gen_range(12..=20);
        let dur = self.rng.gen_range(5..=20) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "low_volume",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    /// A moderate spike hidden in the busiest human write API of a weekday afternoon.
    fn business_hours(&mut self, account: &mut Account) {
        let candidates = catalog::ids(&[
            "CreateTags",
            "PutParameter",
            "UpdateFunctionCode20150331v2",
            "StartInstances",
            "StopInstances",
            "UpdateService",
            "ModifyInstanceAttribute",
        ]);
        let dur = self.rng.gen_range(20..=40) * 60;
        let Some(start) = self.when(|d| d < 5, 10..16, dur) else {
            return;
        };
        let day = ((start - self.setup.start) / (24 * HOUR)) as u32;
        let minute = (start - self.setup.day_start(day)) / 60 + dur / 120;
        let rate = |api: u16| rate_at(self.setup, account, 0, api, day, minute);
        let Some((api, busy)) = candidates
            .iter()
            .map(|&a| (a, rate(a)))
            .max_by(|x, y| x.1.total_cmp(&y.1))
        else {
            return;
        };
        let mult = self.rng.gen_range(3.0..5.0);
        let n = (((mult - 1.0) * busy * dur as f64 / 60.0).round() as usize).max(20);
        let principal = self.hijack(account, true);
        let burst = Burst {
            region: 0,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "business_hours",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    fn weekend(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("RunInstances") else {
            return;
        };
        let dur = self.rng.gen_range(15..=45) * 60;
        let Some(start) = self.when(|d| d >= 5, 8..23, dur) else {
            return;
        };
        let region = self.any_region();
        let mult = self.rng.gen_range(20.0..60.0);
        let n = self.sized(account, region, api, mult, dur, 40);
        let principal = self.hijack(account, true);
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "weekend",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    fn new_api(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("StopLogging") else {
            return;
        };
        let region = self.any_region();
        let principal = self.newcomer(account);
        let n = self.rng.gen_range(20..=40);
        let dur = self.rng.gen_range(5..=15) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "new_api",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    /// A misconfigured deployment hammering an API that already fails now and then.
    fn erring_api(&mut self, account: &mut Account) {
        let choices = [
            ("GetSecretValue", Code::ResourceNotFound),
            ("GetFunction20150331v2", Code::ResourceNotFound),
            ("GetRole", Code::NoSuchEntity),
            ("GetBucketPolicy", Code::NoSuchBucketPolicy),
        ];
        let (name, code) = *rng::pick(&mut self.rng, &choices);
        let Some(api) = catalog::id(name) else { return };
        let region = (0..self.regions())
            .map(|r| (r, mean_rate(self.setup, account, r, api)))
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .map_or(0, |best| best.0);
        let Some(app) = account.first(Role::App) else {
            return;
        };
        let usual = account.principals[app]
            .principal_id
            .rsplit(':')
            .next()
            .unwrap_or("app");
        let session = format!("{usual}-canary");
        let principal = self.stolen(account, app, Some(&session));
        account.principals[principal].agents = account.principals[app].agents.clone();
        let dur = self.rng.gen_range(10..=30) * 60;
        let n = self.sized(account, region, api, 0.5, dur, 40);
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, code.id()); n],
        };
        self.commit(
            account,
            Meta {
                kind: "error_on_erring_api",
                insight: ERROR_RATE,
            },
            burst,
        );
    }

    fn decoy(
        &mut self,
        account: &Account,
        kind: &str,
        region: usize,
        who: Option<usize>,
        apis: &[u16],
        span: Option<(i64, i64)>,
    ) {
        let label = Decoy {
            id: format!("d{}", self.plan.labels.decoys.len() + 1),
            kind: kind.to_owned(),
            account: account.id.clone(),
            region: self.setup.regions[region].to_owned(),
            event_source: apis.first().map(|&a| catalog::api(a).source.to_owned()),
            event_names: apis
                .iter()
                .map(|&a| catalog::api(a).name.to_owned())
                .collect(),
            principal_arn: who.map(|p| account.principals[p].arn.clone()),
            start: span.map(|s| iso(floor_minute(s.0))),
            end: span.map(|s| iso(floor_minute(s.1))),
        };
        self.plan.labels.decoys.push(label);
    }

    /// Background behaviours that look like anomalies to a naive detector.
    fn recurring_decoys(&mut self, account: &Account) {
        if let Some(b) = account.first(Role::Backup) {
            let home = account.principals[b].home;
            self.decoy(
                account,
                "daily_job",
                home,
                Some(b),
                &catalog::ids(&["CreateSnapshot", "CreateTags"]),
                None,
            );
        }
        if let Some(g) = account.first(Role::Growth) {
            let home = account.principals[g].home;
            self.decoy(
                account,
                "slow_growth",
                home,
                Some(g),
                &catalog::ids(&["RunTask"]),
                None,
            );
        }
        if let Some(ci) = account.first(Role::Ci) {
            let home = account.principals[ci].home;
            let writes: Vec<&str> = CI_MIX
                .iter()
                .map(|m| m.0)
                .filter(|n| catalog::id(n).is_some_and(|a| !catalog::api(a).read_only))
                .collect();
            for source in ["lambda.amazonaws.com", "ecs.amazonaws.com"] {
                let apis: Vec<u16> = catalog::ids(&writes)
                    .into_iter()
                    .filter(|&a| catalog::api(a).source == source)
                    .collect();
                self.decoy(account, "weekday_deploys", home, Some(ci), &apis, None);
            }
        }
    }

    fn spike_decoy(&mut self, account: &Account, s: Spike) {
        let dur = 20 * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let calls: Vec<(u16, u8)> = s
            .apis
            .iter()
            .flat_map(|&api| {
                let n = self.sized(
                    account,
                    s.region,
                    api,
                    s.mult,
                    dur,
                    s.min / s.apis.len().max(1),
                );
                std::iter::repeat_n((api, 0), n)
            })
            .collect();
        let burst = Burst {
            region: s.region,
            principal: s.who,
            start,
            dur,
            calls,
        };
        let span = self.emit(account, &burst);
        self.decoy(account, s.kind, s.region, Some(s.who), s.apis, Some(span));
    }

    fn read_only_spike(&mut self, account: &mut Account) {
        let Some(poller) = account.first(Role::Poller) else {
            return;
        };
        let region = self.any_region();
        let apis = catalog::ids(&["DescribeInstances", "DescribeVolumes"]);
        self.spike_decoy(
            account,
            Spike {
                kind: "read_only_spike",
                who: poller,
                region,
                apis: &apis,
                mult: 50.0,
                min: 100,
            },
        );
    }

    fn data_spike(&mut self, account: &mut Account) {
        let Some(app) = account.first(Role::App) else {
            return;
        };
        let region = account.principals[app].home;
        let apis = catalog::ids(&["GetObject"]);
        self.spike_decoy(
            account,
            Spike {
                kind: "data_event_spike",
                who: app,
                region,
                apis: &apis,
                mult: 100.0,
                min: 200,
            },
        );
    }

    /// A role of the background that only ever read IAM (or never touched it) makes a
    /// handful of IAM writes within minutes: 2-4 APIs, 1-3 calls each, 4-10 in all. The
    /// credentials are used from an address the role never used; a third of the time
    /// with the role's own SDK user agent (credentials lifted from an instance and
    /// replayed with the same tooling).
    fn quiet_persistence(&mut self, account: &mut Account) {
        let writes = catalog::ids(&PERSISTENCE);
        let never_wrote_iam = |p: &Principal| {
            !p.mix.iter().any(|&(api, _)| {
                let a = catalog::api(api);
                a.source == "iam.amazonaws.com" && !a.read_only
            })
        };
        let pool: Vec<usize> = [Role::App, Role::Poller, Role::Agent, Role::Scanner, Role::Autoscaler]
            .iter()
            .flat_map(|r| account.with_role(*r))
            .filter(|&i| never_wrote_iam(&account.principals[i]))
            .collect();
        if pool.is_empty() || writes.is_empty() {
            return;
        }
        let victim = pool[self.rng.gen_range(0..pool.len())];
        let mut apis = writes.clone();
        apis.shuffle(&mut self.rng);
        apis.truncate(self.rng.gen_range(2..=4));
        let target = self.rng.gen_range(4..=10usize).max(apis.len());
        let mut calls: Vec<(u16, u8)> = Vec::new();
        let mut each = vec![1usize; apis.len()];
        while each.iter().sum::<usize>() < target {
            let i = self.rng.gen_range(0..apis.len());
            if each[i] < 3 {
                each[i] += 1;
            } else if each.iter().all(|&n| n == 3) {
                break;
            }
        }
        for (&api, &n) in apis.iter().zip(&each) {
            calls.extend(std::iter::repeat_n((api, 0), n));
        }
        let own_agent = self.rng.gen_bool(1.0 / 3.0);
        let session = format!("i-0{}", rng::chars(&mut self.rng, 16, rng::HEX));
        let principal = self.stolen(account, victim, Some(&session));
        if own_agent {
            account.principals[principal].agents = account.principals[victim].agents.clone();
        }
        let dur = self.rng.gen_range(1..=5) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region: 0,
            principal,
            start,
            dur,
            calls,
        };
        self.commit(
            account,
            Meta {
                kind: "quiet_persistence",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    /// A role's S3 credentials used to copy a bucket out: GetObject at 30-100x the
    /// usual rate for 10-30 minutes, from an address and client the role never used.
    fn data_exfil(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("GetObject") else {
            return;
        };
        let readers: Vec<usize> = [Role::App, Role::Backup]
            .iter()
            .flat_map(|r| account.with_role(*r))
            .filter(|&i| account.principals[i].mix.iter().any(|m| m.0 == api))
            .collect();
        if readers.is_empty() {
            return;
        }
        let victim = readers[self.rng.gen_range(0..readers.len())];
        let region = account.principals[victim].home;
        let session = format!("exfil-{}", rng::chars(&mut self.rng, 8, rng::LOWER_ALNUM));
        let principal = self.stolen(account, victim, Some(&session));
        let dur = self.rng.gen_range(10..=30) * 60;
        let mult = self.rng.gen_range(30.0..100.0);
        let n = self.sized(account, region, api, mult, dur, 300);
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "data_exfil",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    /// Stolen keys or a misused role wiping a bucket: 200-1500 DeleteObject calls in
    /// 5-20 minutes (nothing in the background deletes objects by API).
    fn mass_delete(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("DeleteObject") else {
            return;
        };
        let region = self.any_region();
        let principal = self.hijack(account, false);
        let n = (f64::from(self.rng.gen_range(200..=1500u32)) * self.setup.scale.max(1.0).sqrt())
            .round() as usize;
        let dur = self.rng.gen_range(5..=20) * 60;
        let Some(start) = self.when(|_| true, 0..24, dur) else {
            return;
        };
        let burst = Burst {
            region,
            principal,
            start,
            dur,
            calls: vec![(api, 0); n],
        };
        self.commit(
            account,
            Meta {
                kind: "mass_delete",
                insight: CALL_RATE,
            },
            burst,
        );
    }

    /// Every night of the history, the backup role reads a whole bucket: 2,000-6,000
    /// GetObject calls (within 5% of the same count each night) over 40-60 minutes from
    /// 02:15. A detector that forgets time of day sees a spike each night.
    fn backup_read(&mut self, account: &mut Account) {
        let (Some(backup), Some(api)) = (account.first(Role::Backup), catalog::id("GetObject"))
        else {
            return;
        };
        let region = account.principals[backup].home;
        let stream = self.setup.stream(account.index, region);
        let objects = f64::from(self.rng.gen_range(2000..=6000u32)) * self.setup.scale;
        for day in 0..self.setup.days {
            let start = self.setup.day_start(day) + 2 * HOUR + 15 * 60 + self.rng.gen_range(-300..=300);
            let dur = self.rng.gen_range(40..=60) * 60;
            let n = (objects * self.rng.gen_range(0.95..1.05)).round() as usize;
            for _ in 0..n {
                let t = start + self.rng.gen_range(0..dur);
                self.plan.injected[stream].push(Event::new(&mut self.rng, t, backup, api, 0));
            }
        }
        self.decoy(account, "backup_read", region, Some(backup), &[api], None);
    }

    /// Uploads by one application role that grow 6% a day, every day of the history,
    /// all day: by the judged week they run at twice the first week's rate.
    fn upload_growth(&mut self, account: &mut Account) {
        let Some(api) = catalog::id("PutObject") else {
            return;
        };
        let uploaders = account.with_role(Role::App);
        if uploaders.is_empty() {
            return;
        }
        let who = uploaders[self.rng.gen_range(0..uploaders.len())];
        let region = account.principals[who].home;
        let stream = self.setup.stream(account.index, region);
        let base = self.rng.gen_range(1.0..3.0) * self.setup.scale;
        for day in 0..self.setup.days {
            let rate = base * 1.06f64.powi(day as i32);
            let start = self.setup.day_start(day);
            for minute in 0..1440 {
                for _ in 0..rng::poisson(&mut self.rng, rate) {
                    let t = start + minute * 60 + self.rng.gen_range(0..60);
                    self.plan.injected[stream].push(Event::new(&mut self.rng, t, who, api, 0));
                }
            }
        }
        self.decoy(account, "upload_growth", region, Some(who), &[api], None);
    }

    /// One hour in which a second trail re-delivers account 0's files.
    fn duplicate_hour(&mut self) {
        let Some(start) = self.when(|_| true, 0..24, HOUR) else {
            return;
        };
        let start = start - start.rem_euclid(HOUR);
        let end = start + HOUR;
        for region in 0..self.regions() {
            let label = Decoy {
                id: format!("d{}", self.plan.labels.decoys.len() + 1),
                kind: "duplicate_delivery".to_owned(),
                account: self.setup.accounts[0].clone(),
                region: self.setup.regions[region].to_owned(),
                event_source: None,
                event_names: Vec::new(),
                principal_arn: None,
                start: Some(iso(start)),
                end: Some(iso(end - 60)),
            };
            self.plan.labels.decoys.push(label);
        }
        self.plan.dup = Some(DupWindow {
            account: 0,
            start,
            end,
        });
    }
}

fn dominant_code(calls: &[(u16, u8)]) -> Option<String> {
    let mut counts = [0usize; 256];
    for &(_, err) in calls {
        counts[usize::from(err)] += 1;
    }
    let best = (1..256)
        .max_by_key(|&i| counts[i])
        .filter(|&i| counts[i] > 0)?;
    Code::from_id(best as u8).map(|c| c.as_str().to_owned())
}
