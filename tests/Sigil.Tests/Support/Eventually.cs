namespace Sigil.Tests.Support;

/// <summary>Polls a condition that a controller (or a real cluster's garbage collector) makes true in time.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? within = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail(because ?? "the condition never became true");
            }
            await Task.Delay(50);
        }
    }
}
