using Microsoft.AspNetCore.Http;

namespace Sigil.Issuer.Token;

/// <summary>
/// The parameters of an application/x-www-form-urlencoded token request, each at most once (RFC 6749 3.2: "parameters
/// MUST NOT be included more than once"), empty values treated as absent (RFC 6749 3.1).
/// </summary>
internal sealed class TokenForm
{
    private readonly Dictionary<string, string> _values;

    private TokenForm(Dictionary<string, string> values) => _values = values;

    public string? this[string name] => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);

    public static TokenForm Of(params (string Name, string Value)[] values) =>
        new(values.Where(v => v.Value.Length > 0).ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal));

    /// <summary>The form, or invalid_request naming the parameter given twice.</summary>
    public static (TokenForm? Form, TokenError? Error) From(IFormCollection form)
    {
        var values = new Dictionary<string, string>(form.Count, StringComparer.Ordinal);
        foreach (var (name, value) in form)
        {
            if (value.Count > 1)
            {
                return (null, TokenError.InvalidRequest($"parameter {Safe(name)} is given more than once"));
            }
            if (value[0] is { Length: > 0 } single)
            {
                values[name] = single;
            }
        }
        return (new TokenForm(values), null);
    }

    /// <summary>A client id as it may appear in a log line: a SPIFFE ID of sane length, or a placeholder (a client may put anything there, a secret by mistake included).</summary>
    public static string SafeClientId(string? clientId) =>
        clientId is null ? "(none)" : TokenRequest.IsSpiffeId(clientId) && clientId.Length <= 256 ? clientId : "(not a SPIFFE ID)";

    /// <summary>A parameter name as it may appear in a description: names are ours or short tokens; anything else is not echoed.</summary>
    public static string Safe(string name) =>
        name.Length <= 32 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? name : "(unnamed)";
}
