//! Who a principal is, for behaviour models: an assumed role's session name changes with
//! every CI run or SDK session (`assumed-role/Deploy/GitHubActions-1234`), so behaviour
//! is learned per role, while attributions keep the full ARN as AWS prints it.

/// The role behind an assumed-role ARN (session name dropped); other ARNs unchanged.
pub fn principal_family(arn: &str) -> &str {
    let Some(at) = arn.find(":assumed-role/") else {
        return arn;
    };
    let role_start = at + ":assumed-role/".len();
    match arn[role_start..].find('/') {
        Some(slash) => &arn[..role_start + slash],
        None => arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_only_the_session_name() {
        assert_eq!(
            principal_family("arn:aws:sts::111122223333:assumed-role/Deploy/GitHubActions-42"),
            "arn:aws:sts::111122223333:assumed-role/Deploy"
        );
        assert_eq!(
            principal_family("arn:aws-cn:sts::111122223333:assumed-role/R/s"),
            "arn:aws-cn:sts::111122223333:assumed-role/R"
        );
        assert_eq!(principal_family("arn:aws:iam::111122223333:user/alice"), "arn:aws:iam::111122223333:user/alice");
        assert_eq!(principal_family("ec2.amazonaws.com"), "ec2.amazonaws.com");
    }
}
