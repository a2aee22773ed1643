using System.Text;

namespace Sigil.Cli.Day2;

/// <summary>The table (describe-style) view of <c>sigil inspect secret</c> (pure).</summary>
internal static class SecretView
{
    public static string Render(SecretReport r, DateTimeOffset now)
    {
        var text = new StringBuilder();
        void Line(string label, string? value) => text.Append($"{label + ":",-24}{value ?? "-"}\n");
        Line("Secret", $"{r.Namespace}/{r.Name}");
        Line("Kind", r.Kind);
        Line("Identity", r.Identity);
        if (r.RotationRequest is not null)
        {
            Line("Rotation request", r.RotationRequest);
        }
        if (r.X509 is { } x)
        {
            Line("SPIFFE ID", x.SpiffeId);
            Line("DNS names", x.DnsNames.Count == 0 ? null : string.Join(", ", x.DnsNames));
            if (x.Uris.Count > 1)
            {
                Line("URIs", string.Join(", ", x.Uris));
            }
            Line("Subject", x.Subject);
            Line("Issuer", x.Issuer);
            Line("Serial number", x.SerialNumber);
            Line("Fingerprint (SHA-256)", x.FingerprintSha256);
            Line("Key algorithm", x.KeyAlgorithm);
            Line("Not before", Output.Both(x.NotBefore, now));
            Line("Not after", Output.Both(x.NotAfter, now));
            Line("Chain", $"{x.ChainLength} certificate{(x.ChainLength == 1 ? "" : "s")}, {(x.ChainVerified ? "verified " : "NOT VERIFIED: ")}{x.ChainDetail}");
            Line("Key matches", x.KeyMatchesCertificate ? "yes" : "NO");
            Line("ca.crt is the bundle", x.BundleCurrent switch { true => "yes", false => "no (not yet updated)", null => "-" });
        }
        if (r.ApiKey is { } k)
        {
            Line("Key id", k.KeyId);
            Line("Type", k.Type);
            Line("Audience", k.Audience);
            Line("SPIFFE ID", k.SpiffeId);
            Line("Rotated", Output.Both(k.RotatedAt, now));
            Line("HMAC secret", k.HasHmacSecret ? "present (not shown)" : "-");
            Line("Next key", k.NextKeyId is { } next ? $"{next} (staged, not yet presented)" : null);
        }
        if (r.OAuth2 is { } o)
        {
            Line("Client ID", o.ClientId);
            Line("Token endpoint", o.TokenEndpoint);
            Line("Key id", o.KeyId);
            Line("Rotated", Output.Both(o.RotatedAt, now));
            Line("Next key", o.NextKeyId is { } next ? $"{next} (staged, not yet presented)" : null);
            text.Append('\n').Append(TextTable.Render(["ACCEPTED KEY ID", "NOT AFTER"],
                o.Accepted.Select(a => (IReadOnlyList<string>)[a.KeyId, a.NotAfter is null ? "-" : Output.Both(a.NotAfter, now)])));
        }
        if (r.Verifiers is { } verifiers)
        {
            text.Append('\n').Append(verifiers.Count == 0 ? "keys.json accepts no key.\n" : TextTable.Render(["KEY ID", "CALLER", "NAME", "TYPE", "NOT AFTER"],
                verifiers.Select(v => (IReadOnlyList<string>)[v.KeyId, v.Caller, v.Name, v.Type, v.NotAfter is null ? "-" : Output.Both(v.NotAfter, now)])));
        }
        if (r.Jwts is { } jwts)
        {
            text.Append('\n').Append(TextTable.Render(["KEY", "KID", "ALG", "TYP", "SUB", "AUD", "ISS", "ISSUED", "EXPIRES"],
                jwts.Select(j => (IReadOnlyList<string>)[j.Key, j.KeyId ?? "-", j.Algorithm ?? "-", j.Type ?? "-", j.Subject ?? "-", j.Audience ?? "-", j.Issuer ?? "-",
                    Output.Relative(j.IssuedAt, now), Output.Both(j.ExpiresAt, now)])));
        }
        if (r.Problems.Count > 0)
        {
            text.Append('\n');
            foreach (var problem in r.Problems)
            {
                text.Append($"Problem: {problem}\n");
            }
        }
        return text.ToString();
    }
}
