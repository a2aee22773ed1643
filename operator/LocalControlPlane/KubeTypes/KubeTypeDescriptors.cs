using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Sigil.LocalControlPlane.KubeTypes;

/// <summary>
/// Kubernetes' own type definitions (k8s.io/api and k8s.io/apimachinery generated.proto, vendored in KubeTypes/proto),
/// compiled by protoc at build time into an embedded FileDescriptorSet with comments, loaded once.
/// Go package <c>k8s.io/api/apps/v1</c> is proto package <c>k8s.io.api.apps.v1</c>; a kind is the message of its name.
/// </summary>
internal sealed class KubeTypeDescriptors
{
    public const string MetaPackage = "k8s.io.apimachinery.pkg.apis.meta.v1";
    public const string ApiExtensionsPackage = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";
    public const string JsonSchemaProps = ApiExtensionsPackage + ".JSONSchemaProps";

    private static readonly Lazy<KubeTypeDescriptors> Loaded = new(Load);

    private readonly Dictionary<string, MessageDescriptor> _messages;
    private readonly Dictionary<string, string> _goJsonTags;

    private KubeTypeDescriptors(IEnumerable<FileDescriptor> files, Dictionary<string, string> goJsonTags)
    {
        _messages = files.SelectMany(f => f.MessageTypes).ToDictionary(m => m.FullName, StringComparer.Ordinal);
        _goJsonTags = goJsonTags;
    }

    /// <summary>
    /// Whether the JSON of a scalar field keeps its zero value (<c>replicas: 0</c>, a container's <c>name: ""</c>)
    /// or leaves it out as Go's omitempty does (<c>paused: false</c>). go-to-protobuf writes every non-pointer field,
    /// so both arrive on the wire; the Go types tell them apart (go-json-tags.txt, generated from them).
    /// A map's values and everything outside the Kubernetes API packages (the runtime envelope) keep every zero.
    /// </summary>
    public bool KeepsZeroValue(FieldDescriptor field)
    {
        var package = field.ContainingType.File.Package;
        return field.ContainingType.GetOptions()?.MapEntry == true
            || !(package.StartsWith("k8s.io.api.", StringComparison.Ordinal) || package is MetaPackage or ApiExtensionsPackage)
            || _goJsonTags.ContainsKey($"{field.ContainingType.FullName}.{field.Name}");
    }

    /// <summary>A field whose Go json tag has no omitempty: OpenAPI's required, unless it is marked +optional.</summary>
    public bool HasNoOmitEmpty(FieldDescriptor field) =>
        _goJsonTags.GetValueOrDefault($"{field.ContainingType.FullName}.{field.Name}") == "required";

    public static KubeTypeDescriptors Instance => Loaded.Value;

    /// <summary>Every top-level message, by full proto name (<c>k8s.io.api.apps.v1.Deployment</c>).</summary>
    public IReadOnlyDictionary<string, MessageDescriptor> Messages => _messages;

    /// <summary>The proto package of a group-version: <c>apps/v1</c> is k8s.io.api.apps.v1, <c>rbac.authorization.k8s.io/v1</c> is k8s.io.api.rbac.v1.</summary>
    public static string PackageOf(string group, string version) => group == "apiextensions.k8s.io"
        ? $"k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.{version}"
        : $"k8s.io.api.{(group.Length == 0 ? "core" : group.Split('.')[0])}.{version}";

    /// <summary>
    /// A field's JSON name. It is the proto name everywhere but in JSONSchemaProps, whose JSON has
    /// <c>$ref</c>, <c>$schema</c> and <c>x-kubernetes-*</c> where the proto has <c>ref</c>, <c>schema</c>, <c>xKubernetes*</c>.
    /// </summary>
    public static string JsonName(FieldDescriptor field)
    {
        if (field.ContainingType.FullName != JsonSchemaProps)
        {
            return field.Name;
        }
        return field.Name switch
        {
            "ref" => "$ref",
            "schema" => "$schema",
            var name when name.StartsWith("xKubernetes", StringComparison.Ordinal) =>
                "x-kubernetes" + string.Concat(name["xKubernetes".Length..].Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString())),
            var name => name,
        };
    }

    /// <summary>
    /// The message of a kind sent with this apiVersion, or null. The option kinds of meta/v1 (DeleteOptions, ...)
    /// come with whatever group-version the request was for, as client-go sends them.
    /// </summary>
    public MessageDescriptor? FindKind(string apiVersion, string kind)
    {
        var slash = apiVersion.LastIndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        if (kind.Length == 0 || version.Length == 0)
        {
            return null;
        }
        return _messages.GetValueOrDefault($"{PackageOf(group, version)}.{kind}")
            ?? (kind.EndsWith("Options", StringComparison.Ordinal) ? _messages.GetValueOrDefault($"{MetaPackage}.{kind}") : null);
    }

    /// <summary>
    /// Whether a message is a kind (a Go type embedding TypeMeta, which the proto drops): one that has a list
    /// (<c>PodTemplate</c> and <c>PodTemplateList</c>, but not <c>PodTemplateSpec</c>), or is a list of one.
    /// </summary>
    public bool IsKind(MessageDescriptor message)
    {
        var prefix = message.FullName[..^message.Name.Length];
        return IsListOf(_messages.GetValueOrDefault(message.FullName + "List"), message)
            || (message.Name.EndsWith("List", StringComparison.Ordinal)
                && _messages.GetValueOrDefault(prefix + message.Name[..^"List".Length]) is { } item && IsListOf(message, item));
    }

    private static bool IsListOf(MessageDescriptor? list, MessageDescriptor item) =>
        list?.FindFieldByName("items") is { IsRepeated: true, FieldType: FieldType.Message } items && items.MessageType == item;

    public MessageDescriptor? FindKind(string group, string version, string kind) =>
        _messages.GetValueOrDefault($"{PackageOf(group, version)}.{kind}");

    /// <summary>
    /// Go structs embedded with <c>json:""</c> (k8s.io/api core/v1 types.go): on the wire a field of their own, in JSON
    /// their fields are the parent's (<c>livenessProbe.httpGet</c>, not <c>livenessProbe.handler.httpGet</c>). The proto
    /// does not say so, hence this list; no other served group embeds one.
    /// </summary>
    private static readonly HashSet<string> InlineFields =
    [
        "k8s.io.api.core.v1.Volume.volumeSource",
        "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
        "k8s.io.api.core.v1.Probe.handler",
        "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
    ];

    public static bool IsInline(FieldDescriptor field) =>
        InlineFields.Contains(field.FullName)
        || (field.Name == "localObjectReference" && field.FieldType == FieldType.Message && field.MessageType.FullName == "k8s.io.api.core.v1.LocalObjectReference");

    /// <summary>The fields of a message as its JSON has them: those of inlined structs in place of the struct.</summary>
    public static IEnumerable<FieldDescriptor> JsonFields(MessageDescriptor message) =>
        message.Fields.InFieldNumberOrder().SelectMany(f => IsInline(f) ? JsonFields(f.MessageType) : [f]);

    /// <summary>
    /// A Go named slice (<c>type ExtraValue []string</c>) that go-to-protobuf wraps in a message of one repeated field
    /// <c>items</c>, marked <c>+protobuf.nullable=true</c>; its JSON is the bare array.
    /// </summary>
    public static bool IsSliceWrapper(MessageDescriptor message) =>
        message.Fields.InFieldNumberOrder() is [{ Name: "items", IsRepeated: true }]
        && message.Declaration?.LeadingComments?.Contains("+protobuf.nullable=true", StringComparison.Ordinal) == true;

    private static KubeTypeDescriptors Load()
    {
        using var stream = typeof(KubeTypeDescriptors).Assembly.GetManifestResourceStream("kube-types.protoset")
            ?? throw new InvalidOperationException("the kube-types.protoset resource is missing: the build did not run protoc");
        var set = FileDescriptorSet.Parser.ParseFrom(stream);
        using var tags = new StreamReader(typeof(KubeTypeDescriptors).Assembly.GetManifestResourceStream("go-json-tags.txt")
            ?? throw new InvalidOperationException("the go-json-tags.txt resource is missing"));
        var goJsonTags = tags.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).ToDictionary(l => l[0], l => l[1], StringComparer.Ordinal);
        // protoc writes the set with --include_imports in dependency order, which BuildFromByteStrings needs.
        return new KubeTypeDescriptors(FileDescriptor.BuildFromByteStrings(set.File.Select(f => f.ToByteString())), goJsonTags);
    }
}
