using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>A module stem weight (<paramref name="Channels"/> input channels) to fill from a 3-channel file weight.</summary>
internal sealed record StemAdaptation(string Key, long Channels, string Reason);

/// <summary>
/// Applies <see cref="WeightsOptions"/> to a <see cref="StateDictMatch"/> before anything is copied:
/// moves the keys an option covers out of the problem lists into <see cref="StateDictMatch.Skipped"/> or
/// <see cref="StateDictMatch.Adapted"/>, so the strict check that follows sees only what no option covers.
/// </summary>
internal static class WeightsAdjustments
{
    public const string AuxReason = "aux head not in this class";

    public static void Apply(StateDictMatch match, WeightsOptions options, NetworkEnds ends)
    {
        if (options.DropAuxHeads)
        {
            foreach (var prefix in options.AuxHeadPrefixes ?? ends.AuxHeadPrefixes)
            {
                // A class that has the head loads (or reports) its tensors as usual.
                if (match.Expected.Any(tensor => tensor.Name.StartsWith(prefix, StringComparison.Ordinal))) continue;
                // Its BatchNorm counters too, which the match tolerates as file-only counters: every tensor of
                // the head is listed once, under the one reason.
                var keys = match.Unexpected.Concat(match.Ignored)
                    .Where(key => key.StartsWith(prefix, StringComparison.Ordinal))
                    .OrderBy(key => key, StringComparer.Ordinal).ToList();
                foreach (var key in keys)
                {
                    match.Unexpected.Remove(key);
                    match.Ignored.Remove(key);
                    match.Skipped.Add(new KeyNote(key, AuxReason));
                }
            }
        }
        if (options.NewHead)
        {
            var head = options.HeadPath ?? ends.HeadPath
                ?? throw new ArgumentException("NewHead needs the head's module path: the network's YAML names no 'head:', so set WeightsOptions.HeadPath", nameof(options));
            foreach (var mismatch in match.ShapeMismatches.Where(m => m.Key.StartsWith(head + ".", StringComparison.Ordinal)).ToList())
            {
                match.ShapeMismatches.Remove(mismatch);
                match.Skipped.Add(new KeyNote(mismatch.Key,
                    $"new head (file {ShapeText.Format(mismatch.FileShape)}, module {ShapeText.Format(mismatch.ModuleShape)})"));
            }
        }
        if (options.AdaptStem)
        {
            var stem = options.StemConvPath ?? ends.StemConvPath
                ?? throw new ArgumentException("AdaptStem needs the stem convolution's module path: set WeightsOptions.StemConvPath", nameof(options));
            var key = stem + ".weight";
            var mismatch = match.ShapeMismatches.FirstOrDefault(m => m.Key == key);
            if (mismatch is not null && Adaptable(mismatch.FileShape, mismatch.ModuleShape))
            {
                match.ShapeMismatches.Remove(mismatch);
                var channels = mismatch.ModuleShape[1];
                var rule = channels == 1 ? "summed over the 3 input channels" : $"repeated to {channels} input channels and scaled by 3/{channels}";
                match.Adapted.Add(new StemAdaptation(key, channels,
                    $"stem adapted from 3 to {channels} input channels ({rule}, timm's adapt_input_conv)"));
            }
        }
    }

    /// <summary>A 3-input-channel 4-D weight and a module weight that differs only in input channels.</summary>
    private static bool Adaptable(IReadOnlyList<long> file, IReadOnlyList<long> module) =>
        file.Count == 4 && module.Count == 4 && file[1] == 3 && module[1] != 3
        && file[0] == module[0] && file[2] == module[2] && file[3] == module[3];

    /// <summary>
    /// timm's <c>adapt_input_conv(in_chans, weight)</c> for a 3-channel weight, computed in float32:
    /// <c>weight.sum(1, keepdim=True)</c> for 1 channel, else <c>weight.repeat(1, ceil(C/3), 1, 1)[:, :C] * (3 / C)</c>.
    /// </summary>
    public static torch.Tensor AdaptInputConv(torch.Tensor weight, long channels)
    {
        using var scope = torch.NewDisposeScope();
        var single = weight.to_type(torch.ScalarType.Float32);
        torch.Tensor adapted;
        if (channels == 1)
        {
            adapted = single.sum(1, keepdim: true);
        }
        else
        {
            var repeat = (channels + 2) / 3;
            using var repeated = single.repeat(1, repeat, 1, 1);
            adapted = repeated.narrow(1, 0, channels) * (3.0 / channels);
        }
        return adapted.to_type(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reads and adapts every stem weight of <paramref name="match"/> (before the first copy), paired with its
    /// tensor in <paramref name="stateDict"/>; the caller disposes the values.
    /// </summary>
    public static List<(torch.Tensor Target, torch.Tensor Value)> ReadAdapted(StateDictMatch match, ITensorIndex file, Dictionary<string, torch.Tensor> stateDict)
    {
        var values = new List<(torch.Tensor, torch.Tensor)>();
        try
        {
            foreach (var adaptation in match.Adapted)
            {
                using var stored = file.ReadTensor(adaptation.Key);
                values.Add((stateDict[adaptation.Key], AdaptInputConv(stored, adaptation.Channels)));
            }
            return values;
        }
        catch
        {
            foreach (var (_, value) in values) value.Dispose();
            throw;
        }
    }
}
