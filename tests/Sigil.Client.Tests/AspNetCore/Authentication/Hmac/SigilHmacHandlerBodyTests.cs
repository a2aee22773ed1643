using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sigil.AspNetCore;
using Sigil.Client.ApiKeys;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Hmac;

/// <summary>An unauthenticated caller must not make the server read (and buffer) a body for a key that does not exist.</summary>
public sealed class SigilHmacHandlerBodyTests : IDisposable
{
    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    private sealed class Monitor(SigilHmacOptions options) : IOptionsMonitor<SigilHmacOptions>
    {
        public SigilHmacOptions CurrentValue => options;

        public SigilHmacOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<SigilHmacOptions, string?> listener) => null;
    }

    /// <summary>A body that counts the reads asked of it and never ends.</summary>
    private sealed class EndlessBody : Stream
    {
        public int Reads;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            Interlocked.Increment(ref Reads);
            Array.Fill(buffer, (byte)'x', offset, Math.Min(count, 1024));
            return Math.Min(count, 1024);
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Reads);
            var n = Math.Min(buffer.Length, 1024);
            buffer.Span[..n].Fill((byte)'x');
            return ValueTask.FromResult(n);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData("a key id that keys.json does not hold", "unknown")]
    [InlineData("a Bearer key's id (not an HMAC key)", "bearer")]
    public async Task A_signed_request_naming_is_refused_without_reading_the_body(string because, string kind)
    {
        var hmac = VerifierEntry.Hmac(SigilWorld.Payments);
        var bearer = VerifierEntry.Bearer(SigilWorld.Frontend);
        using var verifiers = new VerifierKeysSource(_world.WriteVerifiers("verifiers", [hmac, bearer]));
        var handler = new SigilHmacHandler(new Monitor(new SigilHmacOptions { Verifiers = verifiers }), NullLoggerFactory.Instance, UrlEncoder.Default);
        var body = new EndlessBody();
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/orders";
        context.Request.Body = body;
        var keyId = kind == "unknown" ? "no-such-key" : bearer.KeyId;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        context.Request.Headers.Authorization = HmacSignature.FormatHeader(new HmacAuthorization(keyId, now, new string('0', 64)));
        await handler.InitializeAsync(new AuthenticationScheme("hmac", null, typeof(SigilHmacHandler)), context);

        var result = await handler.AuthenticateAsync();

        Assert.False(result.Succeeded, because);
        Assert.Equal(0, body.Reads);
    }
}
