namespace Sigil.Client.Http;

/// <summary>How <see cref="SigilHttpHandler.Create"/> builds its handler.</summary>
public sealed class SigilHttpHandlerOptions
{
    /// <summary>
    /// How long a pooled connection is reused before a new one (with a new handshake) replaces it. A connection keeps the
    /// trust bundle it was checked against, so this bounds how long a rotated bundle waits to reach a busy pool (a renewed
    /// SVID does not wait: it gets a pool of its own at once). A replaced SVID's pool is disposed after the longer of this
    /// and 2 minutes. Default 1 minute; must be positive.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Called after each new TLS handshake that authenticated the server (not on reused connections). Must not block.</summary>
    public Action<HandshakeInfo>? OnHandshake { get; set; }
}

/// <summary>One TLS handshake: who the server proved to be, and which of our certificates we presented.</summary>
/// <param name="ServerId">The server's SPIFFE ID.</param>
/// <param name="ServerSerialNumber">The server certificate's serial number, lowercase hex (as Sigil's status writes it).</param>
/// <param name="ClientSerialNumber">The serial number (lowercase hex) of the SVID this connection offers as our certificate (the
/// SVID its pool was made for; sent when the server asks for one); null when the connection has none.</param>
public sealed record HandshakeInfo(SpiffeId ServerId, string ServerSerialNumber, string? ClientSerialNumber);
