using Sigil.Client.X509;

namespace Sigil.Client.Http;

/// <summary>
/// An <see cref="HttpClient"/> handler for mutual TLS with X.509-SVIDs: it presents the current SVID, with its
/// intermediates, and accepts only a server whose SVID chains to the trust bundle and whose SPIFFE ID the authorizer
/// allows. The host name is not checked (the SPIFFE ID is the server's identity), so <c>https://127.0.0.1:8443</c> and
/// pod IPs work; nothing is ever downloaded.
/// </summary>
/// <remarks>
/// The handler keeps one connection pool per SVID. When the SVID changes (<see cref="Mounting.CredentialSource{T}.Changed"/>,
/// or noticed on the next request), a new pool presenting the new certificate takes over at once: no new request goes out
/// over a connection that presents the previous certificate, which matters for access tokens bound to the certificate
/// (<c>tls_client_auth</c>). The previous pool is disposed after a grace period (the longer of the pool lifetime and
/// 2 minutes), so requests already under way complete.
/// </remarks>
public static class SigilHttpHandler
{
    /// <summary>Requests started on a pool before its SVID was replaced have this long at least to complete.</summary>
    internal static readonly TimeSpan MinimumGrace = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A handler that presents <paramref name="svid"/>'s current certificate and intermediates and checks servers against its
    /// current trust bundle. A renewed SVID is presented from the next request on; pooled connections are also replaced after
    /// <see cref="SigilHttpHandlerOptions.PooledConnectionLifetime"/>, so a rotated bundle reaches long-lived clients too.
    /// Use it as <c>new HttpClient(handler)</c> or as a <see cref="DelegatingHandler.InnerHandler"/>; disposing it closes
    /// every pool.
    /// </summary>
    /// <param name="svid">Our SVID and the trust bundle, kept current from the mounted Secret.</param>
    /// <param name="serverAuthorizer">Which server SPIFFE IDs we talk to.</param>
    /// <param name="options">Pool lifetime and a handshake observer.</param>
    public static HttpMessageHandler Create(X509SvidSource svid, SpiffeIdAuthorizer serverAuthorizer, SigilHttpHandlerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(serverAuthorizer);
        options ??= new SigilHttpHandlerOptions();
        if (options.PooledConnectionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PooledConnectionLifetime,
                "PooledConnectionLifetime must be positive: a pooled connection keeps the trust bundle it was opened with.");
        }
        return new SvidHandler(svid, serverAuthorizer, options.PooledConnectionLifetime, options.OnHandshake);
    }
}

/// <summary>Sends through the connection pool of the current SVID, replacing the pool when the SVID changes.</summary>
internal sealed class SvidHandler : HttpMessageHandler
{
    private readonly X509SvidSource _source;
    private readonly SpiffeIdAuthorizer _authorizer;
    private readonly TimeSpan _lifetime;
    private readonly Action<HandshakeInfo>? _onHandshake;
    private readonly Lock _swap = new();
    private readonly HashSet<SocketsHttpHandler> _retiring = [];
    private readonly CancellationTokenSource _disposed = new();
    private Pool _current;
    private bool _isDisposed;

    public SvidHandler(X509SvidSource source, SpiffeIdAuthorizer authorizer, TimeSpan lifetime, Action<HandshakeInfo>? onHandshake)
    {
        (_source, _authorizer, _lifetime, _onHandshake) = (source, authorizer, lifetime, onHandshake);
        _current = NewPool(source.Current);
        source.Changed += OnChanged;
    }

    /// <summary>The pool of the SVID of the moment (for tests).</summary>
    internal SocketsHttpHandler CurrentHandler => Current().Handler;

    /// <summary>How long a replaced pool is kept for the requests under way on it.</summary>
    internal TimeSpan Grace => _lifetime > SigilHttpHandler.MinimumGrace ? _lifetime : SigilHttpHandler.MinimumGrace;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _isDisposed), this);
        return Current().Invoker.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _isDisposed), this);
        return Current().Invoker.Send(request, cancellationToken);
    }

    private void OnChanged(object? sender, X509Svid svid) => Current();

    /// <summary>The pool presenting <see cref="Mounting.CredentialSource{T}.Current"/>, made now if the SVID changed since.</summary>
    private Pool Current()
    {
        var svid = _source.Current;
        var pool = Volatile.Read(ref _current);
        if (ReferenceEquals(pool.Svid, svid))
        {
            return pool;
        }
        lock (_swap)
        {
            svid = _source.Current;
            pool = _current;
            if (ReferenceEquals(pool.Svid, svid) || _isDisposed)
            {
                return pool;
            }
            var replaced = Interlocked.Exchange(ref _current, NewPool(svid));
            _retiring.Add(replaced.Handler);
            _ = RetireAsync(replaced.Handler);
            return _current;
        }
    }

    private async Task RetireAsync(SocketsHttpHandler handler)
    {
        try
        {
            await Task.Delay(Grace, _disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // Dispose closes it
        }
        lock (_swap)
        {
            if (!_retiring.Remove(handler))
            {
                return;
            }
        }
        handler.Dispose();
    }

    private Pool NewPool(X509Svid svid)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = _lifetime,
            SslOptions = SvidTls.ClientOptions(() => _source.Current.Bundle, _authorizer, svid, _onHandshake),
        };
        // disposeHandler: false: the pool is disposed by us, after its grace.
        return new Pool(svid, handler, new HttpMessageInvoker(handler, disposeHandler: false));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            List<SocketsHttpHandler> handlers;
            lock (_swap)
            {
                if (_isDisposed)
                {
                    return;
                }
                Volatile.Write(ref _isDisposed, true);
                _source.Changed -= OnChanged;
                handlers = [.. _retiring, _current.Handler];
                _retiring.Clear();
            }
            _disposed.Cancel();
            _disposed.Dispose();
            foreach (var handler in handlers)
            {
                handler.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    private sealed record Pool(X509Svid Svid, SocketsHttpHandler Handler, HttpMessageInvoker Invoker);
}
