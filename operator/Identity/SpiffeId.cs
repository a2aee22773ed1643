namespace Sigil.Identity;

/// <summary>
/// spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service account&gt;: derived, never claimed, so an
/// identity can only ever name its own namespace.
/// </summary>
public sealed record SpiffeId(string TrustDomain, string Namespace, string ServiceAccount)
{
    public override string ToString() => $"spiffe://{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";
}
