using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Authorization;

/// <summary>What the Impersonate-* headers of one request ask for.</summary>
internal sealed record ImpersonationRequest(string User, IReadOnlyList<string> Groups, string? Uid, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra);

/// <summary>
/// kube-apiserver's impersonation filter (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go), as pure parts:
/// which headers ask for what, which <c>impersonate</c> permissions the requester needs for it, and the user the
/// request then acts as.
/// </summary>
internal static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string GroupHeader = "Impersonate-Group";
    public const string UidHeader = "Impersonate-Uid";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    /// <summary>
    /// The impersonation the headers ask for, or null when they ask for none. Groups, a uid or extras without a
    /// user are refused, as kube-apiserver refuses them: there would be no one to act as.
    /// </summary>
    public static ImpersonationRequest? Parse(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> headers)
    {
        string? user = null, uid = null;
        var groups = new List<string>();
        var extra = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var any = false;
        foreach (var (name, values) in headers)
        {
            if (name.Equals(UserHeader, StringComparison.OrdinalIgnoreCase))
            {
                user = values.FirstOrDefault(v => v.Length > 0);
                any |= user is not null;
            }
            else if (name.Equals(GroupHeader, StringComparison.OrdinalIgnoreCase))
            {
                groups.AddRange(values);
                any |= values.Count > 0;
            }
            else if (name.Equals(UidHeader, StringComparison.OrdinalIgnoreCase))
            {
                uid = values.FirstOrDefault(v => v.Length > 0);
                any |= uid is not null;
            }
            else if (name.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var key = ExtraKey(name[ExtraHeaderPrefix.Length..]);
                extra[key] = [.. (extra.TryGetValue(key, out var earlier) ? earlier : []), .. values];
                any = true;
            }
        }
        if (!any)
        {
            return null;
        }
        if (user is null)
        {
            var asked = string.Join(", ", new[]
            {
                groups.Count > 0 ? $"groups {string.Join(", ", groups)}" : null,
                uid is not null ? $"uid {uid}" : null,
                extra.Count > 0 ? $"extra {string.Join(", ", extra.Keys)}" : null,
            }.OfType<string>());
            throw ApiException.BadRequest($"requested impersonation of {asked} without impersonating a user: send {UserHeader} as well");
        }
        return new ImpersonationRequest(user, groups, uid, extra);
    }

    /// <summary>
    /// The <c>impersonate</c> permissions the requester needs, in the order kube-apiserver checks them: the user (as a
    /// ServiceAccount in its namespace when the name is a well-formed one, otherwise as a user), each group, each
    /// extra value, the uid.
    /// </summary>
    public static IReadOnlyList<AccessAttributes> RequiredPermissions(ImpersonationRequest wanted)
    {
        var checks = new List<AccessAttributes>
        {
            ServiceAccountName.Parse(wanted.User) is var (ns, name)
                ? new AccessAttributes("impersonate", "", "serviceaccounts", null, ns, name)
                : new AccessAttributes("impersonate", "", "users", null, null, wanted.User),
        };
        checks.AddRange(wanted.Groups.Select(g => new AccessAttributes("impersonate", "", "groups", null, null, g)));
        foreach (var (key, values) in wanted.Extra)
        {
            checks.AddRange(values.Select(v => new AccessAttributes("impersonate", "authentication.k8s.io", "userextras", key, null, v)));
        }
        if (wanted.Uid is { } uid)
        {
            checks.Add(new AccessAttributes("impersonate", "authentication.k8s.io", "uids", null, null, uid));
        }
        return checks;
    }

    /// <summary>
    /// Who the request acts as once allowed: the named user with exactly the named groups; a ServiceAccount named
    /// without groups gets its fixed ones; everyone but system:anonymous is also system:authenticated unless the
    /// groups already say authenticated or unauthenticated.
    /// </summary>
    public static UserInfo ActAs(ImpersonationRequest wanted)
    {
        var groups = wanted.Groups.ToList();
        if (groups.Count == 0 && ServiceAccountName.Parse(wanted.User) is var (ns, _))
        {
            groups.AddRange([UserInfo.AllServiceAccounts, $"{UserInfo.AllServiceAccounts}:{ns}"]);
        }
        if (wanted.User != "system:anonymous" && !groups.Any(g => g is UserInfo.Authenticated or UserInfo.Unauthenticated))
        {
            groups.Add(UserInfo.Authenticated);
        }
        return new UserInfo(wanted.User, groups, wanted.Uid, wanted.Extra.Count > 0 ? wanted.Extra : null);
    }

    /// <summary>Extra keys travel percent-encoded in header names, which HTTP makes case-insensitive: kube-apiserver lower-cases them.</summary>
    private static string ExtraKey(string encoded) => Uri.UnescapeDataString(encoded.ToLowerInvariant());
}
