namespace Sigil.AspNetCore;

/// <summary>How <see cref="SigilKestrelExtensions"/> serves mTLS.</summary>
public sealed class SigilMtlsOptions
{
    /// <summary>
    /// Whether a TLS handshake without a client certificate is refused (default true). When false, a client without a
    /// certificate is let through (an endpoint can still require another scheme); a certificate that is sent is always
    /// checked and refused unless valid.
    /// </summary>
    public bool RequireClientCertificate { get; set; } = true;

    /// <summary>
    /// Called after each completed handshake with the certificate served and the client's SPIFFE ID, on the
    /// connection's thread: keep it fast and never throw.
    /// </summary>
    public Action<ServerHandshakeInfo>? OnHandshake { get; set; }

    /// <summary>The clock client certificates are checked against (notBefore, notAfter). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>One completed mTLS handshake, as <see cref="SigilMtlsOptions.OnHandshake"/> reports it.</summary>
/// <param name="ServedCertificateSerial">The serial number (lowercase hex) of the SVID served in this handshake.</param>
/// <param name="ServedSpiffeId">The SPIFFE ID of the SVID served.</param>
/// <param name="ClientSpiffeId">The client's SPIFFE ID, checked against the bundle and the authorizer; null when it sent no certificate.</param>
/// <param name="ClientCertificateSerial">The client certificate's serial number (lowercase hex); null when it sent none.</param>
public sealed record ServerHandshakeInfo(string ServedCertificateSerial, string ServedSpiffeId, string? ClientSpiffeId, string? ClientCertificateSerial);
