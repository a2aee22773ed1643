using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

/// <summary>
/// Our codecs read their metadata from the source-generated <see cref="SigilJsonContext"/> (first) since the NativeAOT work;
/// before, reflection built it. What they write (Secrets' state, verifier lists, status) is compared to what is stored, so
/// a field named, ordered or converted differently would rewrite every object once after an upgrade. Each type's contract
/// from the context must be reflection's: names, order, types, converters and required-ness, through every nested type.
/// </summary>
public sealed class SigilJsonTests
{
    public static TheoryData<Type> Roots =>
    [
        typeof(Sigil.Authority.AuthorityStateCodec.StoredState),
        typeof(Sigil.Authority.JwtKeyStateCodec.StoredState),
        typeof(List<Sigil.Credentials.ApiKeys.VerifierEntry>),
        typeof(List<Sigil.Credentials.OAuth2.ClientSecretVerifier?>),
        typeof(Sigil.Api.ServiceIdentityStatus),
    ];

    [Theory]
    [MemberData(nameof(Roots))]
    public void The_generated_contract_is_the_one_reflection_builds(Type root)
    {
        var generated = new JsonSerializerOptions { TypeInfoResolver = SigilJson.Resolver };
        var reflected = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var seen = new HashSet<Type>();
        var compared = 0;

        void Compare(Type type)
        {
            if (!seen.Add(type))
            {
                return;
            }
            var ours = generated.GetTypeInfo(type);
            var theirs = reflected.GetTypeInfo(type);
            Assert.Equal(theirs.Kind, ours.Kind);
            Assert.Equal(Describe(theirs), Describe(ours));
            compared++;
            if (ours.ElementType is { } element)
            {
                Compare(element);
            }
            foreach (var property in ours.Properties.Where(p => Nested(p.PropertyType) is not null))
            {
                Compare(Nested(property.PropertyType)!);
            }
        }

        Compare(root);

        Assert.True(compared >= 2, $"only {compared} type compared from {root}");
    }

    // Sigil's own types, and lists of them: framework and Kubernetes types are the same metadata either way.
    private static Type? Nested(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsGenericType && underlying.GetGenericArguments() is [var argument])
        {
            return Nested(argument) is not null ? underlying : null;
        }
        return underlying.Namespace?.StartsWith("Sigil", StringComparison.Ordinal) == true && !underlying.IsEnum ? underlying : null;
    }

    private static string[] Describe(JsonTypeInfo info) => [.. info.Properties.Select(p =>
        $"{p.Name} {p.PropertyType} required={p.IsRequired} converter={p.CustomConverter?.GetType().Name} order={p.Order} get={p.Get is not null}")];
}
