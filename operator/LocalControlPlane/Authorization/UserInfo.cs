namespace Sigil.LocalControlPlane.Authorization;

/// <summary>
/// Who a request acts as, as kube-apiserver's authenticators hand it to authorization: a name, groups, and for
/// impersonated users or SubjectAccessReviews a uid and extra attributes.
/// </summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string ServiceAccountPrefix = "system:serviceaccount:";
    public const string AllServiceAccounts = "system:serviceaccounts";

    /// <summary>
    /// The user a bearer token of the emulator authenticates as. A ServiceAccount user gets the groups its token would
    /// carry on a cluster; any other user (the admin token, or a test's extra user) is in system:masters, which is
    /// what makes it unrestricted. A user that only resembles a ServiceAccount gets no privileged group.
    /// </summary>
    public static UserInfo ForToken(string user)
    {
        if (!ClaimsServiceAccount(user))
        {
            return new UserInfo(user, [Masters, Authenticated]);
        }
        return ServiceAccountName.Parse(user) is var (ns, _)
            ? new UserInfo(user, [AllServiceAccounts, $"{AllServiceAccounts}:{ns}", Authenticated])
            : new UserInfo(user, [Authenticated]);
    }

    /// <summary>
    /// Anything resembling the ServiceAccount prefix (other case, leading blanks) claims to be a ServiceAccount: it must
    /// never be treated as an ordinary user, nor, parsed leniently, match a binding by accident.
    /// </summary>
    public static bool ClaimsServiceAccount(string user) =>
        user.TrimStart().StartsWith(ServiceAccountPrefix, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The namespace and name inside <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>.</summary>
internal static class ServiceAccountName
{
    /// <summary>
    /// The namespace and name of <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>, or null unless the
    /// namespace is a DNS-1123 label and the name a DNS-1123 subdomain, as kube-apiserver requires of both.
    /// </summary>
    public static (string Namespace, string Name)? Parse(string user)
    {
        if (!user.StartsWith(UserInfo.ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = user[UserInfo.ServiceAccountPrefix.Length..].Split(':');
        return parts is [var ns, var name] && IsDnsLabel(ns) && IsDnsSubdomain(name) ? (ns, name) : null;
    }

    public static string UserName(string ns, string name) => $"{UserInfo.ServiceAccountPrefix}{ns}:{name}";

    public static bool IsDnsSubdomain(string text) => text.Length <= 253 && text.Split('.').All(IsDnsLabel);

    public static bool IsDnsLabel(string text) =>
        text.Length is > 0 and <= 63
        && text.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-')
        && text[0] != '-' && text[^1] != '-';
}
