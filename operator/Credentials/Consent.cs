using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials;

/// <summary>
/// Who receives a caller's key (pure). A key's audience is a ServiceIdentity in the caller's namespace or a
/// SPIFFE ID; its key reaches a receiver only if the receiver's acceptsFrom names the caller, by
/// serviceIdentity (same namespace) or by SPIFFE ID.
/// </summary>
internal static class Consent
{
    public static SpiffeId IdOf(ServiceIdentity identity, string trustDomain) =>
        new(trustDomain, identity.Metadata.NamespaceProperty,
            string.IsNullOrEmpty(identity.Spec.ServiceAccountName) ? identity.Metadata.Name : identity.Spec.ServiceAccountName);

    public static IReadOnlyList<ServiceIdentity> Receivers(string audience, ServiceIdentity caller, IEnumerable<ServiceIdentity> all, string trustDomain)
    {
        if (!audience.StartsWith("spiffe://", StringComparison.Ordinal))
        {
            return all.Where(i => i.Metadata.NamespaceProperty == caller.Metadata.NamespaceProperty && i.Metadata.Name == audience).ToList();
        }
        return all.Where(i => IdOf(i, trustDomain).ToString() == audience).ToList();
    }

    public static bool Accepts(ServiceIdentity receiver, string callerSpiffeId, string trustDomain, IEnumerable<ServiceIdentity> all) =>
        (receiver.Spec.AcceptsFrom ?? []).Any(a =>
            (a.SpiffeId is { Length: > 0 } id && id == callerSpiffeId)
            || (a.ServiceIdentity is { Length: > 0 } name && all.Any(i => i.Metadata.NamespaceProperty == receiver.Metadata.NamespaceProperty
                && i.Metadata.Name == name && IdOf(i, trustDomain).ToString() == callerSpiffeId)));

    /// <summary>
    /// Identities whose passes depend on this one: the callers whose API keys or JWT-SVIDs name it (its acceptsFrom, or its
    /// coming into being, decides whether they get them), and the receivers its own keys and tokens name.
    /// </summary>
    public static IEnumerable<ServiceIdentity> Related(ServiceIdentity identity, IEnumerable<ServiceIdentity> all, string trustDomain)
    {
        var everyone = all as IReadOnlyCollection<ServiceIdentity> ?? [.. all];
        var callers = everyone.Where(c => Audiences(c).Any(a => Receivers(a, c, [identity], trustDomain).Count > 0));
        var receivers = Audiences(identity).SelectMany(a => Receivers(a, identity, everyone, trustDomain));
        return callers.Concat(receivers).Where(i => i.Metadata.Uid != identity.Metadata.Uid);
    }

    /// <summary>Whether the identity names any audience, i.e. can be the caller of another.</summary>
    public static bool NamesAudiences(ServiceIdentity identity) => identity.Spec.ApiKeys is { Count: > 0 } || identity.Spec.Jwt?.Audiences is { Count: > 0 };

    /// <summary>Every audience the identity's API keys and JWT-SVIDs name.</summary>
    private static IEnumerable<string> Audiences(ServiceIdentity identity) =>
        (identity.Spec.ApiKeys ?? []).Select(k => k.Audience).Concat((identity.Spec.Jwt?.Audiences ?? []).Select(a => a.Audience));

    /// <summary>
    /// Why an API key has no accepting receiver, and the one-line fix: see <see cref="Unaccepted(string, string, string, ServiceIdentity, SpiffeId, IReadOnlyList{ServiceIdentity})"/>;
    /// an audience in another trust domain, which no identity here can ever receive, is <see cref="Reasons.NotAccepted"/>.
    /// </summary>
    public static Readiness Unaccepted(ApiKeySpec key, ServiceIdentity caller, SpiffeId callerId, IReadOnlyList<ServiceIdentity> receivers, string trustDomain)
    {
        var field = $"apiKeys[{key.Name}]";
        if (receivers.Count == 0 && key.Audience.StartsWith("spiffe://", StringComparison.Ordinal)
            && !key.Audience.StartsWith($"spiffe://{trustDomain}/", StringComparison.Ordinal))
        {
            return new Readiness(false, Reasons.NotAccepted,
                $"{field}: audience {key.Audience} is outside trust domain {trustDomain}, where no ServiceIdentity can receive its key; name a ServiceIdentity or a SPIFFE ID of {trustDomain}");
        }
        return Unaccepted(field, "key", key.Audience, caller, callerId, receivers);
    }

    /// <summary>
    /// Why a credential (an API key, or a JWT-SVID for an audience of this trust domain) has no accepting receiver, and the
    /// one-line fix. A receiver that does not exist yet is <see cref="Reasons.Pending"/>: it resolves itself when the
    /// identity is created. One that exists and does not list the caller is <see cref="Reasons.NotAccepted"/>.
    /// </summary>
    /// <param name="field">The spec field, for the message: <c>apiKeys[k]</c>, <c>jwt.audiences[a]</c>.</param>
    /// <param name="what">What is held back: <c>key</c>, <c>token</c>.</param>
    public static Readiness Unaccepted(string field, string what, string audience, ServiceIdentity caller, SpiffeId callerId, IReadOnlyList<ServiceIdentity> receivers)
    {
        if (receivers.Count == 0)
        {
            return new Readiness(false, Reasons.Pending, audience.StartsWith("spiffe://", StringComparison.Ordinal)
                ? $"{field}: no ServiceIdentity has SPIFFE ID {audience} yet; its {what} is issued once that identity exists and accepts this one"
                : $"{field}: no ServiceIdentity \"{audience}\" in namespace {caller.Metadata.NamespaceProperty} yet; its {what} is issued once it exists and accepts this one");
        }
        var receiver = receivers[0];
        var entry = receiver.Metadata.NamespaceProperty == caller.Metadata.NamespaceProperty
            ? $"{{serviceIdentity: {caller.Metadata.Name}}}"
            : $"{{spiffeID: {callerId}}}";
        return new Readiness(false, Reasons.NotAccepted,
            $"{field}: {receiver.Metadata.NamespaceProperty}/{receiver.Metadata.Name} does not accept this identity: add {entry} to its spec.acceptsFrom");
    }
}
