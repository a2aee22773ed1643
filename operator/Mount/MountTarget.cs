using System.Text.RegularExpressions;

namespace Sigil.Mount;

/// <summary>What a folder is kept in step with: a Secret, or a ConfigMap such as <c>sigil-trust-bundle</c>.</summary>
internal enum MountKind
{
    Secret,
    ConfigMap,
}

/// <summary>One <c>SECRET=DIR</c> of <c>sigil mount</c>: <c>NAME=DIR</c> and <c>secret/NAME=DIR</c> mount a Secret, <c>configmap/NAME=DIR</c> a ConfigMap.</summary>
internal sealed partial record MountTarget(MountKind Kind, string Name, string Directory)
{
    /// <summary>How kubectl names it: <c>secret/NAME</c> or <c>configmap/NAME</c>.</summary>
    public string Source => $"{(Kind == MountKind.Secret ? "secret" : "configmap")}/{Name}";

    /// <summary>Secrets 0600 (a laptop, not a pod), ConfigMaps 0644 as the kubelet writes them.</summary>
    public UnixFileMode FileMode => Kind == MountKind.Secret ? AtomicWriter.SecretFileMode : AtomicWriter.ConfigMapFileMode;

    /// <summary>Reads one argument; the error is one line that says what to type instead.</summary>
    public static MountTargetParse Parse(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            return MountTargetParse.Failure($"\"{text}\" is not SECRET=DIR: write it like payments-svid=./svid or configmap/sigil-trust-bundle=./trust");
        }
        var (source, directory) = (text[..equals], text[(equals + 1)..]);
        var slash = source.IndexOf('/', StringComparison.Ordinal);
        var (prefix, name) = slash < 0 ? ("", source) : (source[..slash], source[(slash + 1)..]);
        MountKind? kind = prefix.ToLowerInvariant() switch
        {
            "" or "secret" or "secrets" => MountKind.Secret,
            "configmap" or "configmaps" or "cm" => MountKind.ConfigMap,
            _ => null,
        };
        if (kind is null)
        {
            return MountTargetParse.Failure($"\"{text}\": \"{prefix}/\" is neither secret/ nor configmap/");
        }
        if (!IsObjectName(name))
        {
            return MountTargetParse.Failure($"\"{text}\": \"{name}\" is not a Kubernetes object name (lowercase letters, digits, '-' and '.')");
        }
        if (directory.Length == 0)
        {
            return MountTargetParse.Failure($"\"{text}\" names no folder after '='");
        }
        return MountTargetParse.Success(new MountTarget(kind.Value, name, directory));
    }

    private static bool IsObjectName(string name) => name.Length <= 253 && ObjectName().IsMatch(name);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex ObjectName();
}

internal sealed record MountTargetParse(MountTarget? Target, string? Error)
{
    public static MountTargetParse Success(MountTarget target) => new(target, null);

    public static MountTargetParse Failure(string error) => new(null, error);
}
