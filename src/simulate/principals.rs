//! Principals of each simulated account and their calling habits.
//!
//! Real trails are dominated by a few steady automation identities, with humans adding
//! business-hours noise and services adding AssumeRole chatter. Each principal here has
//! an identity (IAM user, assumed-role session or AWS service), stable user agents and
//! source IPs, an activity pattern, a peak rate and a weighted API mix; `Sampler` turns
//! that into per-region call rates, applying the us-east-1 rule for global services.

use rand::seq::SliceRandom;
use rand::Rng;

use super::catalog;
use super::rng::{self, SimRng};

/// What kind of identity CloudTrail shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IdKind {
    IamUser,
    AssumedRole,
    Service,
}

/// Why the principal exists; scheduled behaviours and scenarios pick principals by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Human,
    Poller,
    Config,
    Scanner,
    App,
    Agent,
    Autoscaler,
    Growth,
    Ci,
    Backup,
    Service,
    Attacker,
}

/// Activity level over the week, 1.0 at peak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Pattern {
    /// Office hours shifted by `offset` minutes, scaled by `weekend` on Saturday and Sunday.
    Business { offset: i64, weekend: f64 },
    /// Application traffic: a cosine day cycle peaking mid-afternoon UTC.
    Diurnal { amp: f64, weekend: f64 },
    /// Pollers and agents: the same all week.
    Flat,
    /// No Poisson background; calls come from schedules or scenarios only.
    Idle,
}

#[derive(Clone, Debug)]
pub(super) struct Principal {
    pub role: Role,
    pub id_kind: IdKind,
    pub principal_id: String,
    pub arn: String,
    /// IAM user name, role name (for sessions) or service name.
    pub name: String,
    pub issuer_id: String,
    pub issuer_arn: String,
    pub invoked_by: Option<String>,
    pub keys: Vec<String>,
    pub console_key: Option<String>,
    pub agents: Vec<String>,
    /// Browser user agent for ConsoleLogin; `None` for people who never use the console.
    pub browser: Option<String>,
    pub ips: Vec<String>,
    pub pattern: Pattern,
    /// Calls per minute at peak level, before `scale`.
    pub rate: f64,
    pub mix: Vec<(u16, f64)>,
    /// Share of the principal's activity in each region.
    pub presence: Vec<f64>,
    /// Daily rate multiplier (slow-growth decoy).
    pub growth: f64,
    /// Extra AccessDenied probability per call.
    pub deny: f64,
    /// Gamma shape of the per-10-minute rate multiplier: low is bursty.
    pub burstiness: f64,
    /// Region of scheduled activity (deploys, backups, app home).
    pub home: usize,
}

impl Principal {
    fn base(role: Role, id_kind: IdKind) -> Self {
        Self {
            role,
            id_kind,
            principal_id: String::new(),
            arn: String::new(),
            name: String::new(),
            issuer_id: String::new(),
            issuer_arn: String::new(),
            invoked_by: None,
            keys: Vec::new(),
            console_key: None,
            agents: Vec::new(),
            browser: None,
            ips: Vec::new(),
            pattern: Pattern::Idle,
            rate: 0.0,
            mix: Vec::new(),
            presence: Vec::new(),
            growth: 1.0,
            deny: 0.0,
            burstiness: 4.0,
            home: 0,
        }
    }

    /// The same identity driven by someone else: stolen keys or a misused role. The
    /// copy has no background of its own and the caller's agent and address.
    pub(super) fn hijacked(&self, agent: String, ip: String, session: Option<&str>) -> Self {
        let mut p = self.clone();
        p.role = Role::Attacker;
        p.agents = vec![agent];
        p.browser = None;
        p.ips = vec![ip];
        p.pattern = Pattern::Idle;
        p.rate = 0.0;
        p.deny = 0.0;
        if let (IdKind::AssumedRole, Some(session)) = (self.id_kind, session) {
            let account = self.issuer_arn.split(':').nth(4).unwrap_or_default();
            p.principal_id = format!("{}:{session}", self.issuer_id);
            p.arn = format!(
                "arn:aws:sts::{account}:assumed-role/{}/{session}",
                self.name
            );
        }
        p
    }
}

pub(super) fn iam_user(rng: &mut SimRng, account: &str, name: &str) -> Principal {
    let mut p = Principal::base(Role::Human, IdKind::IamUser);
    p.principal_id = format!("AIDA{}", rng::chars(rng, 17, rng::KEY_CHARS));
    p.arn = format!("arn:aws:iam::{account}:user/{name}");
    p.name = name.to_owned();
    p.keys = vec![format!("AKIA{}", rng::chars(rng, 16, rng::KEY_CHARS))];
    p.console_key = Some(format!("ASIA{}", rng::chars(rng, 16, rng::KEY_CHARS)));
    p
}

/// Unique id of a role, shared by all its sessions.
pub(super) fn role_id(rng: &mut SimRng) -> String {
    format!("AROA{}", rng::chars(rng, 17, rng::KEY_CHARS))
}

pub(super) fn role_session(
    rng: &mut SimRng,
    account: &str,
    role: &str,
    id: &str,
    session: &str,
) -> Principal {
    let mut p = Principal::base(Role::App, IdKind::AssumedRole);
    p.principal_id = format!("{id}:{session}");
    p.arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
    p.issuer_id = id.to_owned();
    p.issuer_arn = format!("arn:aws:iam::{account}:role/{role}");
    p.name = role.to_owned();
    // Role credentials rotate, so a session shows several temporary keys over a day.
    p.keys = (0..6)
        .map(|_| format!("ASIA{}", rng::chars(rng, 16, rng::KEY_CHARS)))
        .collect();
    p
}

fn service(name: &str) -> Principal {
    let mut p = Principal::base(Role::Service, IdKind::Service);
    p.name = name.to_owned();
    p.agents = vec![name.to_owned()];
    p.ips = vec![name.to_owned()];
    p
}

/// Per-region view of a principal: total rate and the API distribution.
pub(super) struct Sampler {
    pub rate: f64,
    apis: Vec<u16>,
    probs: Vec<f64>,
    cum: Vec<f64>,
}

impl Sampler {
    pub(super) fn new(p: &Principal, region: usize) -> Self {
        let total: f64 = p.mix.iter().map(|m| m.1).sum();
        let weighted: Vec<(u16, f64)> = p
            .mix
            .iter()
            .map(|&(api, w)| (api, w * region_factor(p, api, region)))
            .filter(|m| m.1 > 0.0)
            .collect();
        let sum: f64 = weighted.iter().map(|m| m.1).sum();
        if total <= 0.0 || sum <= 0.0 {
            return Self {
                rate: 0.0,
                apis: Vec::new(),
                probs: Vec::new(),
                cum: Vec::new(),
            };
        }
        let probs: Vec<f64> = weighted.iter().map(|m| m.1 / sum).collect();
        let cum = probs
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p;
                Some(*acc)
            })
            .collect();
        Self {
            rate: p.rate * sum / total,
            apis: weighted.iter().map(|m| m.0).collect(),
            probs,
            cum,
        }
    }

    pub(super) fn pick(&self, u: f64) -> Option<u16> {
        let i = self
            .cum
            .partition_point(|&c| c < u)
            .min(self.apis.len().checked_sub(1)?);
        self.apis.get(i).copied()
    }

    pub(super) fn prob(&self, api: u16) -> f64 {
        self.apis
            .iter()
            .position(|&a| a == api)
            .map_or(0.0, |i| self.probs[i])
    }
}

/// Calls a principal makes to a global service from any region land in us-east-1.
fn region_factor(p: &Principal, api: u16, region: usize) -> f64 {
    if catalog::api(api).global() {
        if region == 0 {
            p.presence.iter().sum()
        } else {
            0.0
        }
    } else {
        p.presence.get(region).copied().unwrap_or(0.0)
    }
}

/// The principals of account `index`, in a fixed order, drawing every choice from `rng`.
pub(super) fn build(rng: &mut SimRng, id: &str, regions: usize, index: usize) -> Vec<Principal> {
    let mut b = Builder {
        rng,
        id,
        regions,
        index,
        out: Vec::new(),
    };
    b.humans();
    b.automation();
    b.apps();
    b.agents();
    b.pipelines();
    b.services();
    b.out
}

const HUMAN_NAMES: [&str; 16] = [
    "alice.martin",
    "bob.nguyen",
    "carol.smith",
    "dan.okafor",
    "erin.kowalski",
    "farid.haddad",
    "grace.liu",
    "hiro.tanaka",
    "ines.garcia",
    "jonas.weber",
    "kara.patel",
    "liam.obrien",
    "maya.cohen",
    "noah.fischer",
    "olga.ivanova",
    "pablo.reyes",
];

const CLI_AGENTS: [&str; 3] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22",
    "aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off",
    "aws-cli/2.17.4 Python/3.11.9 Windows/10 exe/AMD64 prompt/off",
];
const CONSOLE_AGENT: &str = "console.amazonaws.com";
const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64";
const BOTO3_AGENT: &str = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0";
const BROWSERS: [&str; 2] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
];
const GO_SDK: &str = "aws-sdk-go/1.50.8 (go1.21.6; linux; amd64)";
const JS_SDK: &str = "aws-sdk-js/3.490.0 ua/2.0 os/linux#5.10.205-215.805.amzn2.x86_64 lang/js md/nodejs#20.10.0 exec-env/AWS_Lambda_nodejs20.x";
const JAVA_SDK: &str = "aws-sdk-java/2.21.45 Linux/5.10.205-195.807.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy";
const SSM_AGENT: &str = "aws-sdk-go/1.44.302 (go1.21.4; linux; amd64) amazon-ssm-agent/3.3.40.0";
const AUTOSCALER_AGENT: &str =
    "aws-sdk-go/1.48.7 (go1.21.5; linux; amd64) cluster-autoscaler/v1.29.0";
const PROWLER_AGENT: &str = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.15.0-1057-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.34.69 prowler/3.16.0";
const GHA_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/lambda.update-function-code";

/// First octets per caller kind; the sets never overlap, and attackers use their own.
pub(super) const OFFICE_OCTETS: [u8; 7] = [81, 86, 109, 151, 212, 213, 217];
pub(super) const HOME_OCTETS: [u8; 6] = [24, 67, 70, 73, 98, 174];
pub(super) const AWS_OCTETS: [u8; 6] = [3, 18, 34, 44, 52, 54];
pub(super) const RUNNER_OCTETS: [u8; 4] = [4, 13, 20, 40];
pub(super) const ATTACKER_OCTETS: [u8; 10] = [5, 45, 62, 77, 91, 103, 179, 185, 193, 195];

pub(super) type Mix = &'static [(&'static str, f64)];

const HUMAN_MIX: Mix = &[
    ("DescribeInstances", 10.0),
    ("DescribeSecurityGroups", 3.0),
    ("DescribeVolumes", 2.0),
    ("DescribeVpcs", 1.0),
    ("DescribeSubnets", 1.0),
    ("DescribeImages", 1.0),
    ("DescribeSnapshots", 0.8),
    ("DescribeTags", 0.5),
    ("ListBuckets", 4.0),
    ("GetBucketLocation", 2.0),
    ("GetBucketPolicy", 1.0),
    ("GetBucketAcl", 0.8),
    ("GetBucketVersioning", 0.5),
    ("GetUser", 1.0),
    ("ListUsers", 0.8),
    ("ListRoles", 1.0),
    ("GetRole", 1.5),
    ("ListAttachedRolePolicies", 0.8),
    ("ListAccessKeys", 0.3),
    ("GetCallerIdentity", 3.0),
    ("DescribeLogGroups", 2.0),
    ("FilterLogEvents", 3.0),
    ("DescribeAlarms", 2.0),
    ("GetMetricData", 3.0),
    ("ListFunctions20150331", 2.0),
    ("GetFunction20150331v2", 2.0),
    ("DescribeDBInstances", 1.0),
    ("DescribeDBClusters", 0.5),
    ("DescribeTable", 1.0),
    ("ListTables", 1.0),
    ("GetParameter", 2.0),
    ("GetParameters", 0.5),
    ("ListSecrets", 0.5),
    ("GetSecretValue", 1.0),
    ("LookupEvents", 1.0),
    ("DescribeTrails", 0.3),
    ("DescribeAutoScalingGroups", 1.0),
    ("DescribeServices", 1.0),
    ("DescribeTasks", 0.5),
    ("ListDistributions", 0.3),
    ("DescribeKey", 0.5),
    ("Decrypt", 1.0),
    ("DescribeInstanceInformation", 0.3),
    ("CreateTags", 2.5),
    ("ModifyInstanceAttribute", 0.4),
    ("AuthorizeSecurityGroupIngress", 0.5),
    ("RunInstances", 0.4),
    ("TerminateInstances", 0.3),
    ("StartInstances", 0.6),
    ("StopInstances", 0.6),
    ("PutParameter", 1.2),
    ("UpdateFunctionCode20150331v2", 0.6),
    ("PutMetricAlarm", 0.4),
    ("CreateInvalidation", 0.2),
    ("PutBucketPolicy", 0.05),
    ("SetDesiredCapacity", 0.2),
    ("UpdateService", 0.4),
    ("AttachRolePolicy", 0.05),
    ("CreateRole", 0.03),
    ("SendCommand", 0.3),
    ("CreateBucket", 0.02),
    ("GetObject", 2.0),
    ("PutObject", 0.8),
    ("HeadObject", 0.4),
];
const POLLER_MIX: Mix = &[
    ("DescribeInstances", 4.0),
    ("DescribeInstanceStatus", 1.5),
    ("DescribeVolumes", 2.0),
    ("GetMetricData", 8.0),
    ("DescribeAlarms", 1.0),
    ("ListBuckets", 0.5),
    ("GetBucketLocation", 0.5),
    ("DescribeDBInstances", 1.0),
    ("DescribeAutoScalingGroups", 1.0),
    ("ListFunctions20150331", 1.0),
    ("DescribeLogGroups", 0.5),
    ("ListTables", 0.5),
    ("DescribeTable", 0.5),
    ("DescribeServices", 0.5),
    ("DescribeSnapshots", 0.3),
    ("ListDistributions", 0.1),
    ("DescribeTags", 0.5),
];
const CONFIG_MIX: Mix = &[
    ("DescribeInstances", 1.0),
    ("DescribeSecurityGroups", 2.0),
    ("DescribeVolumes", 1.0),
    ("DescribeVpcs", 1.0),
    ("DescribeSubnets", 1.0),
    ("DescribeNetworkInterfaces", 1.0),
    ("GetBucketPolicy", 1.0),
    ("GetBucketAcl", 1.0),
    ("GetBucketVersioning", 1.0),
    ("GetBucketEncryption", 1.0),
    ("ListUsers", 0.3),
    ("GetRole", 1.0),
    ("ListAttachedRolePolicies", 1.0),
    ("DescribeKey", 0.5),
    ("DescribeTrails", 0.3),
    ("GetTrailStatus", 0.3),
    ("DescribeDBInstances", 0.5),
    ("DescribeTable", 0.3),
    ("DescribeAutoScalingGroups", 0.3),
    ("ListFunctions20150331", 0.3),
    ("GetFunction20150331v2", 0.5),
];
const SCANNER_MIX: Mix = &[
    ("GetAccountAuthorizationDetails", 0.3),
    ("ListUsers", 2.0),
    ("ListRoles", 2.0),
    ("ListAccessKeys", 2.0),
    ("GetPolicyVersion", 2.0),
    ("ListAttachedRolePolicies", 2.0),
    ("GetBucketPolicy", 2.0),
    ("GetBucketAcl", 1.0),
    ("GetBucketEncryption", 1.0),
    ("ListBuckets", 1.0),
    ("DescribeSecurityGroups", 2.0),
    ("DescribeTrails", 0.5),
    ("GetTrailStatus", 0.5),
    ("DescribeAlarms", 0.5),
    ("DescribeLogGroups", 0.5),
    ("GetCallerIdentity", 0.2),
];
const LAMBDA_APP_MIX: Mix = &[
    ("GetParameter", 3.0),
    ("GetParameters", 1.0),
    ("Decrypt", 3.0),
    ("GenerateDataKey", 1.0),
    ("GetSecretValue", 2.0),
    ("GetObject", 2.0),
    ("PutObject", 1.0),
    ("CreateLogStream", 3.0),
    ("CreateNetworkInterface", 0.8),
    ("DeleteNetworkInterface", 0.8),
    ("DescribeNetworkInterfaces", 0.3),
    ("Invoke", 0.8),
    ("DescribeTable", 0.2),
];
const ECS_APP_MIX: Mix = &[
    ("GetObject", 2.5),
    ("PutObject", 1.5),
    ("HeadObject", 1.0),
    ("Decrypt", 2.0),
    ("GenerateDataKey", 1.5),
    ("GetSecretValue", 1.0),
    ("GetParameters", 1.0),
    ("CreateLogStream", 1.0),
];
const AGENT_MIX: Mix = &[
    ("UpdateInstanceInformation", 4.0),
    ("ListInstanceAssociations", 3.0),
    ("GetParameters", 0.5),
];
const AUTOSCALER_MIX: Mix = &[
    ("DescribeAutoScalingGroups", 6.0),
    ("DescribeInstances", 3.0),
    ("DescribeImages", 0.5),
    ("DescribeSubnets", 0.5),
    ("SetDesiredCapacity", 0.6),
    ("CreateTags", 2.0),
    ("RunInstances", 0.15),
    ("TerminateInstances", 0.15),
];
const GROWTH_MIX: Mix = &[
    ("RunTask", 3.0),
    ("DescribeTasks", 4.0),
    ("DescribeServices", 1.0),
];
/// Deploy bursts: the weekday-deploy decoy labels its lambda and ecs writes.
pub(super) const CI_MIX: Mix = &[
    ("UpdateFunctionCode20150331v2", 4.0),
    ("GetFunction20150331v2", 4.0),
    ("RegisterTaskDefinition", 3.0),
    ("UpdateService", 3.0),
    ("DescribeServices", 5.0),
    ("DescribeTasks", 2.0),
    ("GetParameter", 3.0),
    ("GetCallerIdentity", 1.0),
    ("PutObject", 5.0),
    ("GetObject", 2.0),
    ("ListFunctions20150331", 1.0),
];
const BACKUP_MIX: Mix = &[("CreateSnapshot", 1.0), ("CreateTags", 1.0)];

#[cfg(test)]
pub(super) const ALL_MIXES: [Mix; 11] = [
    HUMAN_MIX,
    POLLER_MIX,
    CONFIG_MIX,
    SCANNER_MIX,
    LAMBDA_APP_MIX,
    ECS_APP_MIX,
    AGENT_MIX,
    AUTOSCALER_MIX,
    GROWTH_MIX,
    CI_MIX,
    BACKUP_MIX,
];

/// Resolve a mix, optionally jittering weights so people in one team still differ.
fn resolve(mix: Mix, rng: Option<&mut SimRng>) -> Vec<(u16, f64)> {
    let mut out: Vec<(u16, f64)> = mix
        .iter()
        .filter_map(|&(name, w)| catalog::id(name).map(|a| (a, w)))
        .collect();
    if let Some(rng) = rng {
        for m in &mut out {
            m.1 *= rng.gen_range(0.3..1.7);
        }
    }
    out
}

struct Builder<'a> {
    rng: &'a mut SimRng,
    id: &'a str,
    regions: usize,
    index: usize,
    out: Vec<Principal>,
}

impl Builder<'_> {
    fn everywhere(&self) -> Vec<f64> {
        vec![1.0; self.regions]
    }

    fn only(&self, region: usize) -> Vec<f64> {
        (0..self.regions)
            .map(|r| if r == region { 1.0 } else { 0.0 })
            .collect()
    }

    fn aws_ips(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| rng::ip(self.rng, &AWS_OCTETS)).collect()
    }

    fn humans(&mut self) {
        let mut names = HUMAN_NAMES.to_vec();
        names.shuffle(self.rng);
        let count = self.rng.gen_range(8..=13);
        let office = [
            rng::ip(self.rng, &OFFICE_OCTETS),
            rng::ip(self.rng, &OFFICE_OCTETS),
        ];
        for (k, name) in names.iter().take(count).enumerate() {
            let mut p = iam_user(self.rng, self.id, name);
            self.human_agents(&mut p);
            p.ips = vec![office[k % 2].clone()];
            if self.rng.gen_bool(0.4) {
                p.ips.push(rng::ip(self.rng, &HOME_OCTETS));
            }
            let weekend = if self.rng.gen_bool(0.3) {
                0.0
            } else {
                self.rng.gen_range(0.02..0.1)
            };
            p.pattern = Pattern::Business {
                offset: self.rng.gen_range(-120..=120),
                weekend,
            };
            p.rate = self.rng.gen_range(0.6..2.5);
            p.mix = resolve(HUMAN_MIX, Some(self.rng));
            p.presence = (0..self.regions)
                .map(|r| if r == 0 { 1.0 } else { 0.3 })
                .collect();
            // One careless user per account keeps bumping into permissions.
            p.deny = if k == 0 {
                0.06
            } else {
                self.rng.gen_range(0.003..0.02)
            };
            p.burstiness = 1.5;
            self.out.push(p);
        }
    }

    fn human_agents(&mut self, p: &mut Principal) {
        let cli = rng::pick(self.rng, &CLI_AGENTS).to_string();
        let browser = rng::pick(self.rng, &BROWSERS).to_string();
        let (agents, console) = match self.rng.gen_range(0..4) {
            0 => (vec![cli], false),
            1 => (vec![CONSOLE_AGENT.to_owned(), cli], true),
            2 => (vec![TERRAFORM_AGENT.to_owned(), cli], false),
            _ => (vec![BOTO3_AGENT.to_owned(), CONSOLE_AGENT.to_owned()], true),
        };
        p.agents = agents;
        p.browser = console.then_some(browser);
    }

    fn session(&mut self, role: &str, session: &str, kind: Role) -> Principal {
        let id = role_id(self.rng);
        let mut p = role_session(self.rng, self.id, role, &id, session);
        p.role = kind;
        p
    }

    fn automation(&mut self) {
        let mut p = self.session(
            "DatadogIntegrationRole",
            "DatadogAWSIntegration",
            Role::Poller,
        );
        (p.agents, p.ips) = (vec![GO_SDK.to_owned()], self.aws_ips(3));
        (p.pattern, p.rate, p.burstiness, p.deny) = (Pattern::Flat, 4.0, 8.0, 0.005);
        (p.mix, p.presence) = (resolve(POLLER_MIX, None), self.everywhere());
        self.out.push(p);

        let mut p = self.session(
            "AWSServiceRoleForConfig",
            "AWSConfig-Describe",
            Role::Config,
        );
        p.invoked_by = Some("config.amazonaws.com".to_owned());
        (p.agents, p.ips) = (
            vec!["config.amazonaws.com".to_owned()],
            vec!["config.amazonaws.com".to_owned()],
        );
        (p.pattern, p.rate, p.burstiness, p.deny) = (Pattern::Flat, 1.5, 3.0, 0.01);
        (p.mix, p.presence) = (resolve(CONFIG_MIX, None), self.everywhere());
        self.out.push(p);

        let mut p = self.session("SecurityAuditRole", "prowler-scan", Role::Scanner);
        (p.agents, p.ips) = (vec![PROWLER_AGENT.to_owned()], self.aws_ips(1));
        (p.pattern, p.rate, p.burstiness) = (Pattern::Flat, 0.4, 2.0);
        (p.mix, p.presence) = (resolve(SCANNER_MIX, None), self.everywhere());
        self.out.push(p);

        let mut p = self.session(
            "ClusterAutoscalerRole",
            "cluster-autoscaler",
            Role::Autoscaler,
        );
        (p.agents, p.ips) = (vec![AUTOSCALER_AGENT.to_owned()], self.aws_ips(2));
        (p.pattern, p.rate, p.burstiness) = (Pattern::Flat, 0.8, 4.0);
        (p.mix, p.presence) = (resolve(AUTOSCALER_MIX, None), self.only(0));
        self.out.push(p);
    }

    fn apps(&mut self) {
        let lambda_home = 0;
        let mut p = self.session("order-processor-role", "order-processor", Role::App);
        (p.agents, p.ips) = (vec![JS_SDK.to_owned()], self.aws_ips(4));
        (p.pattern, p.rate, p.burstiness) = (
            Pattern::Diurnal {
                amp: 0.45,
                weekend: 0.75,
            },
            2.0,
            4.0,
        );
        (p.mix, p.presence, p.home) = (
            resolve(LAMBDA_APP_MIX, None),
            self.only(lambda_home),
            lambda_home,
        );
        self.out.push(p);

        let ecs_home = 1 % self.regions;
        let task = rng::chars(self.rng, 32, rng::HEX);
        let mut p = self.session("api-service-task-role", &task, Role::App);
        (p.agents, p.ips) = (vec![JAVA_SDK.to_owned()], self.aws_ips(3));
        (p.pattern, p.rate, p.burstiness) = (
            Pattern::Diurnal {
                amp: 0.4,
                weekend: 0.8,
            },
            1.6,
            4.0,
        );
        (p.mix, p.presence, p.home) = (resolve(ECS_APP_MIX, None), self.only(ecs_home), ecs_home);
        self.out.push(p);

        let growth_home = (self.index + 1) % self.regions;
        let mut p = self.session("BatchSchedulerRole", "batch-scheduler", Role::Growth);
        (p.agents, p.ips) = (vec![GO_SDK.to_owned()], self.aws_ips(1));
        (p.pattern, p.rate, p.burstiness, p.growth) = (Pattern::Flat, 0.5, 6.0, 1.05);
        (p.mix, p.presence, p.home) = (
            resolve(GROWTH_MIX, None),
            self.only(growth_home),
            growth_home,
        );
        self.out.push(p);
    }

    fn agents(&mut self) {
        let id = role_id(self.rng);
        for k in 0..self.rng.gen_range(5..=8usize) {
            let instance = format!("i-0{}", rng::chars(self.rng, 16, rng::HEX));
            let mut p = role_session(
                self.rng,
                self.id,
                "AmazonSSMRoleForInstances",
                &id,
                &instance,
            );
            p.role = Role::Agent;
            (p.agents, p.ips) = (vec![SSM_AGENT.to_owned()], self.aws_ips(1));
            (p.pattern, p.rate, p.burstiness) = (Pattern::Flat, 0.5, 20.0);
            (p.mix, p.presence, p.home) = (
                resolve(AGENT_MIX, None),
                self.only(k % self.regions),
                k % self.regions,
            );
            self.out.push(p);
        }
    }

    fn pipelines(&mut self) {
        let mut p = self.session("GitHubActionsDeployRole", "GitHubActions", Role::Ci);
        p.agents = vec![GHA_CLI.to_owned(), TERRAFORM_AGENT.to_owned()];
        p.ips = (0..3).map(|_| rng::ip(self.rng, &RUNNER_OCTETS)).collect();
        (p.mix, p.presence) = (resolve(CI_MIX, None), self.only(0));
        self.out.push(p);

        let home = self.index % self.regions;
        let mut p = self.session(
            "AWSBackupDefaultServiceRole",
            "AWSBackup-AWSBackupDefaultServiceRole",
            Role::Backup,
        );
        p.invoked_by = Some("backup.amazonaws.com".to_owned());
        (p.agents, p.ips) = (
            vec!["backup.amazonaws.com".to_owned()],
            vec!["backup.amazonaws.com".to_owned()],
        );
        (p.mix, p.presence, p.home) = (resolve(BACKUP_MIX, None), self.only(home), home);
        self.out.push(p);
    }

    fn services(&mut self) {
        let table: [(&str, &str, f64); 5] = [
            ("lambda.amazonaws.com", "AssumeRole", 0.8),
            ("ecs-tasks.amazonaws.com", "AssumeRole", 0.3),
            ("ec2.amazonaws.com", "AssumeRole", 0.2),
            ("autoscaling.amazonaws.com", "CompleteLifecycleAction", 0.15),
            ("AWS Internal", "RotateKey", 0.002),
        ];
        for (name, api, rate) in table {
            let mut p = service(name);
            (p.pattern, p.rate, p.burstiness) = (Pattern::Flat, rate, 6.0);
            p.mix = catalog::id(api).map(|a| vec![(a, 1.0)]).unwrap_or_default();
            p.presence = self.everywhere();
            self.out.push(p);
        }
    }
}

/// A user agent an attacker's tooling would send.
pub(super) fn attacker_agent(rng: &mut SimRng) -> String {
    const AGENTS: [&str; 4] = [
        "aws-cli/1.18.69 Python/3.6.9 Linux/4.15.0-20-generic botocore/1.16.19",
        "Boto3/1.26.0 Python/3.8.10 Linux/5.4.0-1045-aws Botocore/1.29.0",
        "aws-cli/2.9.0 Python/3.9.11 Linux/6.0.0-kali3-amd64 exe/x86_64.kali.2022 prompt/off",
        "python-requests/2.31.0",
    ];
    rng::pick(rng, &AGENTS).to_string()
}
