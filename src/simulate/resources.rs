//! Per-account resource names and the request/response payload pools built from them.
//!
//! Payloads are built once per account and region as `serde_json::Value`s and borrowed
//! by every record, so rendering allocates nothing per record while records still show
//! varied, plausible requestParameters, responseElements and resources.

use serde_json::{json, Value};

use super::catalog::{Api, CATALOG};
use super::principals::{IdKind, Principal, Role};
use super::rng::{self, SimRng};

/// Variants per API; enough to look varied, few enough to stay cheap.
const POOL: usize = 4;

/// Everything a record needs besides the envelope.
#[derive(Default)]
pub(super) struct ParamSet {
    pub request: Option<Value>,
    pub response: Option<Value>,
    pub resources: Option<Value>,
    pub extra: Option<Value>,
}

fn req(v: Value) -> ParamSet {
    ParamSet {
        request: Some(v),
        ..ParamSet::default()
    }
}

fn req_resp(v: Value, r: Value) -> ParamSet {
    ParamSet {
        request: Some(v),
        response: Some(r),
        ..ParamSet::default()
    }
}

pub(super) struct Resources {
    pub env: &'static str,
    pub instances: Vec<String>,
    pub volumes: Vec<String>,
    pub snapshots: Vec<String>,
    pub groups: Vec<String>,
    pub subnets: Vec<String>,
    pub images: Vec<String>,
    pub buckets: Vec<String>,
    pub keys: Vec<String>,
    pub users: Vec<String>,
    pub new_users: Vec<String>,
    pub role_arns: Vec<String>,
    pub role_names: Vec<String>,
}

fn ids(rng: &mut SimRng, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("{prefix}{}", rng::chars(rng, 16, rng::HEX)))
        .collect()
}

impl Resources {
    pub(super) fn new(
        rng: &mut SimRng,
        account: &str,
        index: usize,
        principals: &[Principal],
    ) -> Self {
        let env = ["prod", "staging", "data", "shared", "sandbox"][index % 5];
        let roles = || {
            principals
                .iter()
                .filter(|p| p.id_kind == IdKind::AssumedRole)
        };
        // Services only assume the roles workloads run as, not people's or pollers' roles.
        let workload = |p: &&Principal| matches!(p.role, Role::App | Role::Agent | Role::Growth);
        Self {
            env,
            instances: ids(rng, "i-0", 8),
            volumes: ids(rng, "vol-0", 6),
            snapshots: ids(rng, "snap-0", 4),
            groups: ids(rng, "sg-0", 4),
            subnets: ids(rng, "subnet-0", 4),
            images: ids(rng, "ami-0", 3),
            buckets: ["logs", "artifacts", "data-lake", "backups", "assets"]
                .iter()
                .map(|purpose| format!("acme-{env}-{purpose}-{account}"))
                .collect(),
            keys: (0..3)
                .map(|_| rng::uuid_string(rng::key_words(rng)))
                .collect(),
            users: principals
                .iter()
                .filter(|p| p.id_kind == IdKind::IamUser)
                .map(|p| p.name.clone())
                .collect(),
            new_users: [
                "svc-backup-tmp",
                "ops-break-glass",
                "support-temp",
                "ci-bootstrap",
            ]
            .map(String::from)
            .to_vec(),
            role_arns: roles()
                .filter(workload)
                .map(|p| p.issuer_arn.clone())
                .collect(),
            role_names: roles().map(|p| p.name.clone()).collect(),
        }
    }
}

/// Where the payload is being rendered.
struct Site<'a> {
    res: &'a Resources,
    account: &'a str,
    region: &'a str,
    i: usize,
}

impl Site<'_> {
    fn one<'v>(&self, items: &'v [String]) -> &'v str {
        items
            .get(self.i % items.len().max(1))
            .map_or("", String::as_str)
    }

    fn even(&self) -> bool {
        self.i & 1 == 0
    }

    fn instance(&self) -> &str {
        self.one(&self.res.instances)
    }

    fn bucket(&self) -> &str {
        self.one(&self.res.buckets)
    }

    fn key_arn(&self) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            self.region,
            self.account,
            self.one(&self.res.keys)
        )
    }

    fn zone(&self) -> String {
        format!("{}{}", self.region, ['a', 'b', 'c', 'a'][self.i % 4])
    }

    fn function(&self) -> &'static str {
        [
            "order-processor",
            "thumbnail-generator",
            "nightly-report",
            "auth-authorizer",
        ][self.i % 4]
    }
}

/// Payload pools for one account and region, indexed like `CATALOG`.
pub(super) fn build_pools(
    res: &Resources,
    account: &str,
    region: &str,
    rng: &mut SimRng,
) -> Vec<Vec<ParamSet>> {
    CATALOG
        .iter()
        .map(|api| {
            (0..POOL)
                .map(|i| {
                    payload(
                        api,
                        &Site {
                            res,
                            account,
                            region,
                            i,
                        },
                        rng,
                    )
                })
                .collect()
        })
        .collect()
}

fn payload(api: &Api, s: &Site, rng: &mut SimRng) -> ParamSet {
    match api.source {
        "ec2.amazonaws.com" => ec2_read(api.name, s).unwrap_or_else(|| ec2_write(api.name, s)),
        "s3.amazonaws.com" => s3(api.name, s, rng),
        "iam.amazonaws.com" => iam(api.name, s, rng),
        "sts.amazonaws.com" => sts(api.name, s, rng),
        "kms.amazonaws.com" => kms(api.name, s),
        "ssm.amazonaws.com" => ssm(api.name, s, rng),
        "lambda.amazonaws.com" => lambda(api.name, s, rng),
        "ecs.amazonaws.com" => ecs(api.name, s, rng),
        "signin.amazonaws.com" => sign_in(s),
        _ => misc(api.name, s),
    }
}

fn ec2_read(name: &str, s: &Site) -> Option<ParamSet> {
    let empty = json!({});
    Some(req(match name {
        "DescribeInstances" if s.even() => {
            json!({"instancesSet": {"items": [{"instanceId": s.instance()}]}, "filterSet": {}})
        }
        "DescribeInstances" => json!({"maxResults": 1000, "instancesSet": {}, "filterSet": {}}),
        "DescribeInstanceStatus" => {
            json!({"instancesSet": {}, "filterSet": {}, "includeAllInstances": true})
        }
        "DescribeSecurityGroups" => {
            json!({"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": s.one(&s.res.groups)}]}, "filterSet": {}})
        }
        "DescribeVolumes" => {
            json!({"volumeSet": {}, "filterSet": {"items": [{"name": "attachment.instance-id", "valueSet": {"items": [{"value": s.instance()}]}}]}})
        }
        "DescribeSnapshots" => {
            json!({"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "sharedUsersSet": {}, "filterSet": {}})
        }
        "DescribeImages" => {
            json!({"executableBySet": {}, "imagesSet": {"items": [{"imageId": s.one(&s.res.images)}]}, "ownersSet": {}, "filterSet": {}})
        }
        "DescribeSubnets" => json!({"subnetSet": {}, "filterSet": {}}),
        "DescribeVpcs" | "DescribeNetworkInterfaces" | "DescribeTags" => {
            json!({"filterSet": empty, "maxResults": ([100, 1000, 200, 500][s.i % 4])})
        }
        _ => return None,
    }))
}

fn ec2_write(name: &str, s: &Site) -> ParamSet {
    let items = json!({"items": [{"instanceId": s.instance()}]});
    match name {
        "RunInstances" => req_resp(
            json!({"instancesSet": {"items": [{"imageId": s.one(&s.res.images), "minCount": 1, "maxCount": 1}]},
                   "instanceType": (["t3.medium", "m6i.large", "c6i.xlarge", "t3.small"][s.i % 4]),
                   "blockDeviceMapping": {}, "availabilityZone": s.zone(), "monitoring": {"enabled": false},
                   "disableApiTermination": false, "subnetId": s.one(&s.res.subnets)}),
            json!({"reservationId": format!("r-0{}", &s.instance()[3..]), "ownerId": s.account, "groupSet": {},
                   "instancesSet": {"items": [{"instanceId": s.instance(), "imageId": s.one(&s.res.images),
                   "instanceState": {"code": 0, "name": "pending"}}]}}),
        ),
        "TerminateInstances" | "StartInstances" | "StopInstances" => req_resp(
            json!({"instancesSet": items}),
            json!({"instancesSet": {"items": [{"instanceId": s.instance(), "currentState": {"code": 64, "name": "stopping"}, "previousState": {"code": 16, "name": "running"}}]}}),
        ),
        "CreateTags" => req_resp(
            json!({"resourcesSet": {"items": [{"resourceId": if s.even() { s.instance() } else { s.one(&s.res.snapshots) }}]},
                   "tagSet": {"items": [{"key": (["Name", "Owner", "CostCenter", "backup"][s.i % 4]), "value": s.res.env}]}}),
            json!({"_return": true}),
        ),
        "CreateSnapshot" => req_resp(
            json!({"volumeId": s.one(&s.res.volumes), "description": "Created by AWS Backup"}),
            json!({"snapshotId": s.one(&s.res.snapshots), "volumeId": s.one(&s.res.volumes), "status": "pending", "ownerId": s.account, "volumeSize": ([8, 100, 500, 50][s.i % 4]), "encrypted": true}),
        ),
        "AuthorizeSecurityGroupIngress" => req_resp(
            json!({"groupId": s.one(&s.res.groups), "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": ([443, 22, 5432, 8080][s.i % 4]), "toPort": ([443, 22, 5432, 8080][s.i % 4]), "ipRanges": {"items": [{"cidrIp": "10.0.0.0/16"}]}}]}}),
            json!({"_return": true}),
        ),
        "ModifyInstanceAttribute" => req_resp(
            json!({"instanceId": s.instance(), "disableApiTermination": {"value": true}}),
            json!({"_return": true}),
        ),
        "CreateNetworkInterface" => req_resp(
            json!({"subnetId": s.one(&s.res.subnets), "description": "AWS Lambda VPC ENI-order-processor", "groupSet": {"items": [{"groupId": s.one(&s.res.groups)}]}}),
            json!({"networkInterface": {"networkInterfaceId": format!("eni-0{}", &s.instance()[3..]), "status": "pending", "interfaceType": "lambda"}}),
        ),
        "DeleteNetworkInterface" => req_resp(
            json!({"networkInterfaceId": format!("eni-0{}", &s.instance()[3..])}),
            json!({"_return": true}),
        ),
        _ => ParamSet::default(),
    }
}

fn s3(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    let bucket = s.bucket();
    let host = format!("{bucket}.s3.{}.amazonaws.com", s.region);
    let control = |field: &str| req(json!({"bucketName": bucket, "Host": host, field: ""}));
    match name {
        "ListBuckets" => req(json!({"Host": format!("s3.{}.amazonaws.com", s.region)})),
        "GetBucketPolicy" | "PutBucketPolicy" => control("policy"),
        "GetBucketAcl" | "PutBucketAcl" => control("acl"),
        "GetBucketLocation" => control("location"),
        "GetBucketVersioning" => control("versioning"),
        "GetBucketEncryption" => control("encryption"),
        "CreateBucket" => req(
            json!({"bucketName": format!("{bucket}-{}", s.i), "Host": host, "CreateBucketConfiguration": {"LocationConstraint": s.region}}),
        ),
        _ => s3_object(name, s, &host, rng),
    }
}

fn s3_object(name: &str, s: &Site, host: &str, rng: &mut SimRng) -> ParamSet {
    let bucket = s.bucket();
    let key = [
        "exports/2026/01/orders.parquet",
        "thumbnails/u123/avatar.png",
        "builds/api-service/1.42.0.zip",
        "reports/daily/summary.csv",
    ][s.i % 4];
    let size = [48_211.0, 3_112.0, 18_337_221.0, 912.0][s.i % 4];
    let (bytes_in, bytes_out) = if name == "PutObject" {
        (size, 0.0)
    } else {
        (0.0, size)
    };
    ParamSet {
        request: Some(json!({"bucketName": bucket, "Host": host, "key": key})),
        response: None,
        resources: Some(json!([
            {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
            {"accountId": s.account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}
        ])),
        extra: Some(
            json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in, "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": rng::chars(rng, 76, rng::ALNUM), "bytesTransferredOut": bytes_out}),
        ),
    }
}

fn iam(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    let user = s.one(&s.res.users);
    let fresh = s.one(&s.res.new_users);
    let role = s.one(&s.res.role_names);
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
    match name {
        "GetUser" | "ListAccessKeys" => req(json!({"userName": user})),
        "ListRoles" | "ListUsers" if s.even() => ParamSet::default(),
        "ListRoles" | "ListUsers" => req(json!({"maxItems": 100})),
        "GetRole" | "ListAttachedRolePolicies" => req(json!({"roleName": role})),
        "GetAccountAuthorizationDetails" => {
            req(json!({"filter": ["User", "Role", "Group", "LocalManagedPolicy"]}))
        }
        "GetPolicyVersion" => req(
            json!({"policyArn": format!("arn:aws:iam::{}:policy/{}-app-access", s.account, s.res.env), "versionId": "v3"}),
        ),
        "CreateUser" => req_resp(
            json!({"userName": fresh}),
            json!({"user": {"path": "/", "userName": fresh, "userId": format!("AIDA{}", rng::chars(rng, 17, rng::KEY_CHARS)), "arn": format!("arn:aws:iam::{}:user/{fresh}", s.account)}}),
        ),
        "CreateAccessKey" => req_resp(
            json!({"userName": fresh}),
            json!({"accessKey": {"userName": fresh, "accessKeyId": format!("AKIA{}", rng::chars(rng, 16, rng::KEY_CHARS)), "status": "Active"}}),
        ),
        "AttachUserPolicy" => req(json!({"userName": fresh, "policyArn": admin})),
        "PutUserPolicy" => {
            req(json!({"userName": fresh, "policyName": "inline-admin", "policyDocument": doc}))
        }
        "CreateLoginProfile" => req_resp(
            json!({"userName": fresh, "passwordResetRequired": false}),
            json!({"loginProfile": {"userName": fresh, "passwordResetRequired": false}}),
        ),
        "CreateRole" => {
            req(json!({"roleName": format!("{role}-v2"), "assumeRolePolicyDocument": doc}))
        }
        "AttachRolePolicy" => {
            req(json!({"roleName": role, "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
        }
        "UpdateAssumeRolePolicy" => req(json!({"roleName": role, "policyDocument": doc})),
        "DeleteAccessKey" => req(
            json!({"userName": user, "accessKeyId": format!("AKIA{}", rng::chars(rng, 16, rng::KEY_CHARS))}),
        ),
        _ => ParamSet::default(),
    }
}

fn sts(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    if name != "AssumeRole" {
        return ParamSet::default();
    }
    let role = s.one(&s.res.role_arns);
    let role_name = role.rsplit('/').next().unwrap_or(role);
    let session = [
        "1736080000123456789",
        "botocore-session-1736080000",
        "aws-go-sdk-1736080000",
        "AWSConfig-Describe",
    ][s.i % 4];
    ParamSet {
        request: Some(
            json!({"roleArn": role, "roleSessionName": session, "durationSeconds": 3600}),
        ),
        response: Some(json!({
            "credentials": {"accessKeyId": format!("ASIA{}", rng::chars(rng, 16, rng::KEY_CHARS)),
                "sessionToken": format!("IQoJb3JpZ2luX2VjE{}", rng::chars(rng, 64, rng::ALNUM)),
                "expiration": "Jan 5, 2026, 3:00:00 PM"},
            "assumedRoleUser": {"assumedRoleId": format!("AROA{}:{session}", rng::chars(rng, 17, rng::KEY_CHARS)),
                "arn": format!("arn:aws:sts::{}:assumed-role/{role_name}/{session}", s.account)}})),
        resources: Some(json!([{"ARN": role, "accountId": s.account, "type": "AWS::IAM::Role"}])),
        extra: None,
    }
}

fn kms(name: &str, s: &Site) -> ParamSet {
    let key = s.key_arn();
    let resources = Some(json!([{"accountId": s.account, "type": "AWS::KMS::Key", "ARN": key}]));
    let request = match name {
        "Decrypt" => {
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": format!("arn:aws:lambda:{}:{}:function:{}", s.region, s.account, s.function())}})
        }
        "GenerateDataKey" => json!({"keyId": "alias/app-data", "keySpec": "AES_256"}),
        "DescribeKey" => json!({"keyId": key}),
        "CreateKey" => {
            json!({"keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "multiRegion": false})
        }
        "ScheduleKeyDeletion" => json!({"keyId": key, "pendingWindowInDays": 7}),
        _ => {
            return ParamSet {
                resources,
                extra: Some(json!({"keyId": key})),
                ..ParamSet::default()
            }
        }
    };
    let response = (name == "ScheduleKeyDeletion")
        .then(|| json!({"keyId": key, "keyState": "PendingDeletion", "pendingWindowInDays": 7}));
    ParamSet {
        request: Some(request),
        response,
        resources,
        extra: None,
    }
}

fn ssm(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    let env = s.res.env;
    let param = [
        format!("/{env}/app/db-password"),
        format!("/{env}/app/api-url"),
        format!("/{env}/feature-flags"),
        format!("/{env}/orders/queue-url"),
    ];
    let p = &param[s.i % 4];
    match name {
        "GetParameter" => req(json!({"name": p, "withDecryption": true})),
        "GetParameters" => {
            req(json!({"names": [p, &param[(s.i + 1) % 4]], "withDecryption": true}))
        }
        "DescribeInstanceInformation" => req(json!({"maxResults": 50})),
        "ListInstanceAssociations" => req(json!({"instanceId": s.instance(), "maxResults": 20})),
        "PutParameter" => req_resp(
            json!({"name": p, "type": "SecureString", "overwrite": true, "keyId": "alias/aws/ssm", "value": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
            json!({"version": 12 + s.i, "tier": "Standard"}),
        ),
        "SendCommand" => req_resp(
            json!({"instanceIds": [s.instance()], "documentName": "AWS-RunShellScript", "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": false}),
            json!({"command": {"commandId": rng::uuid_string(rng::key_words(rng)), "documentName": "AWS-RunShellScript", "status": "Pending", "instanceIds": [s.instance()]}}),
        ),
        "UpdateInstanceInformation" => req(
            json!({"instanceId": s.instance(), "agentVersion": "3.3.40.0", "agentStatus": "Active",
            "platformType": "Linux", "platformName": "Amazon Linux", "platformVersion": "2023", "agentName": "amazon-ssm-agent",
            "iPAddress": format!("10.0.{}.{}", 10 + s.i, 20 + s.i * 7), "availabilityZone": s.zone()}),
        ),
        _ => ParamSet::default(),
    }
}

fn lambda(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    let f = s.function();
    let arn = format!("arn:aws:lambda:{}:{}:function:{f}", s.region, s.account);
    match name {
        "ListFunctions20150331" if s.even() => ParamSet::default(),
        "ListFunctions20150331" => req(json!({"maxItems": 50})),
        "GetFunction20150331v2" => req(json!({"functionName": f})),
        "UpdateFunctionCode20150331v2" => req_resp(
            json!({"functionName": f, "publish": true, "dryRun": false, "s3Bucket": s.one(&s.res.buckets), "s3Key": format!("builds/{f}.zip")}),
            json!({"functionName": f, "functionArn": arn, "runtime": "nodejs20.x", "codeSha256": rng::chars(rng, 43, rng::ALNUM), "version": format!("{}", 40 + s.i), "lastUpdateStatus": "InProgress"}),
        ),
        "CreateFunction20150331" => req(
            json!({"functionName": format!("{f}-v2"), "runtime": "python3.12", "role": s.one(&s.res.role_arns), "handler": "app.handler"}),
        ),
        "Invoke" => ParamSet {
            request: Some(
                json!({"functionName": arn, "invocationType": (["RequestResponse", "Event"][s.i % 2])}),
            ),
            resources: Some(
                json!([{"accountId": s.account, "type": "AWS::Lambda::Function", "ARN": arn}]),
            ),
            ..ParamSet::default()
        },
        _ => ParamSet::default(),
    }
}

fn ecs(name: &str, s: &Site, rng: &mut SimRng) -> ParamSet {
    let cluster = format!("{}-cluster", s.res.env);
    let service = ["api-service", "worker-service"][s.i % 2];
    let task_arn = format!(
        "arn:aws:ecs:{}:{}:task/{cluster}/{}",
        s.region,
        s.account,
        rng::chars(rng, 32, rng::HEX)
    );
    match name {
        "DescribeServices" => req(json!({"cluster": cluster, "services": [service]})),
        "DescribeTasks" => req(json!({"cluster": cluster, "tasks": [task_arn]})),
        "RunTask" => req_resp(
            json!({"cluster": cluster, "taskDefinition": "batch-job:17", "count": 1, "launchType": "FARGATE"}),
            json!({"tasks": [{"taskArn": task_arn, "lastStatus": "PROVISIONING"}], "failures": []}),
        ),
        "UpdateService" => req(
            json!({"cluster": cluster, "service": service, "taskDefinition": format!("{service}:{}", 40 + s.i), "forceNewDeployment": false}),
        ),
        "RegisterTaskDefinition" => req_resp(
            json!({"family": service, "networkMode": "awsvpc", "cpu": "512", "memory": "1024", "requiresCompatibilities": ["FARGATE"]}),
            json!({"taskDefinition": {"family": service, "revision": 40 + s.i, "taskDefinitionArn": format!("arn:aws:ecs:{}:{}:task-definition/{service}:{}", s.region, s.account, 40 + s.i)}}),
        ),
        _ => ParamSet::default(),
    }
}

fn sign_in(s: &Site) -> ParamSet {
    ParamSet {
        request: None,
        response: Some(json!({"ConsoleLogin": "Success"})),
        resources: None,
        extra: Some(
            json!({"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No", "MFAUsed": (["Yes", "Yes", "No", "Yes"][s.i % 4])}),
        ),
    }
}

fn misc(name: &str, s: &Site) -> ParamSet {
    let env = s.res.env;
    let trail = format!(
        "arn:aws:cloudtrail:us-east-1:{}:trail/management-trail",
        s.account
    );
    let log_group = [
        "/aws/lambda/order-processor",
        "/ecs/api-service",
        "/aws/lambda/thumbnail-generator",
        "/aws/lambda/nightly-report",
    ][s.i % 4];
    match name {
        "LookupEvents" => req(
            json!({"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": (["ConsoleLogin", "RunInstances", "CreateUser", "DeleteBucket"][s.i % 4])}]}),
        ),
        "DescribeTrails" => req(json!({"trailNameList": [], "includeShadowTrails": true})),
        "GetTrailStatus" | "StopLogging" | "DeleteTrail" => req(json!({"name": trail})),
        "DescribeAlarms" => req(if s.even() {
            json!({"stateValue": "ALARM"})
        } else {
            json!({"maxRecords": 100})
        }),
        "GetMetricData" => req(
            json!({"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "dimensions": [{"name": "InstanceId", "value": s.instance()}]}, "period": 300, "stat": "Average"}}], "scanBy": "TimestampAscending"}),
        ),
        "PutMetricAlarm" => req(
            json!({"alarmName": format!("{env}-high-cpu-{}", s.i), "metricName": "CPUUtilization", "namespace": "AWS/EC2", "threshold": 80.0, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3, "period": 300, "statistic": "Average"}),
        ),
        "DescribeLogGroups" => req(json!({"logGroupNamePrefix": "/aws/lambda/"})),
        "FilterLogEvents" => {
            req(json!({"logGroupName": log_group, "filterPattern": "ERROR", "interleaved": true}))
        }
        "CreateLogStream" => req(
            json!({"logGroupName": log_group, "logStreamName": format!("2026/01/05/[$LATEST]{}", &s.instance()[3..])}),
        ),
        "GetSecretValue" => req(
            json!({"secretId": format!("arn:aws:secretsmanager:{}:{}:secret:{env}/{}", s.region, s.account, ["orders/db", "api/stripe-key", "reporting/warehouse", "orders/db"][s.i % 4])}),
        ),
        "DescribeDBInstances" if s.even() => ParamSet::default(),
        "DescribeDBInstances" => req(json!({"dBInstanceIdentifier": format!("{env}-orders-db")})),
        "DescribeTable" => {
            req(json!({"tableName": (["orders", "sessions", "inventory", "orders"][s.i % 4])}))
        }
        "DescribeAutoScalingGroups" => {
            req(json!({"autoScalingGroupNames": [format!("{env}-web-asg")]}))
        }
        "CompleteLifecycleAction" => req(
            json!({"lifecycleHookName": "drain-hook", "autoScalingGroupName": format!("{env}-web-asg"), "lifecycleActionResult": "CONTINUE", "instanceId": s.instance()}),
        ),
        "SetDesiredCapacity" => req(
            json!({"autoScalingGroupName": format!("{env}-web-asg"), "desiredCapacity": 3 + s.i, "honorCooldown": false}),
        ),
        "CreateInvalidation" => req(
            json!({"distributionId": "E2QWRUHAPOMQZL", "invalidationBatch": {"paths": {"quantity": 1, "items": ["/*"]}, "callerReference": format!("deploy-{}", s.i)}}),
        ),
        _ => ParamSet::default(),
    }
}
