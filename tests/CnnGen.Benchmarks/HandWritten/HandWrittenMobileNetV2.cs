using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CnnGen.Benchmarks.HandWritten;

/// <summary>
/// MobileNet v2 (width multiplier 1.0) as a TorchSharp user writes it by hand, following torchvision's
/// mobilenetv2.py (same module names, so the same safetensors file loads into it): the baseline the
/// generated class is measured against.
/// </summary>
public sealed class HandWrittenMobileNetV2 : Module<Tensor, Tensor>
{
    // torchvision's Conv2dNormActivation with ReLU6: a Sequential of conv (0), bn (1) and activation (2).
    private static Sequential Conv2dNormActivation(long inChannels, long outChannels, long kernelSize = 3, long stride = 1, long groups = 1) => Sequential(
        Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
        BatchNorm2d(outChannels),
        ReLU6(inplace: true));

    private sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly bool useResConnect;

        public InvertedResidual(long inp, long oup, long stride, long expandRatio) : base("InvertedResidual")
        {
            var hiddenDim = inp * expandRatio;
            useResConnect = stride == 1 && inp == oup;
            conv = Sequential();
            if (expandRatio != 1)
                conv.append(Conv2dNormActivation(inp, hiddenDim, kernelSize: 1));
            conv.append(Conv2dNormActivation(hiddenDim, hiddenDim, stride: stride, groups: hiddenDim));
            conv.append(Conv2d(hiddenDim, oup, 1, bias: false));
            conv.append(BatchNorm2d(oup));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => useResConnect ? x + conv.forward(x) : conv.forward(x);
    }

    private readonly Sequential features;
    private readonly Sequential classifier;

    public HandWrittenMobileNetV2(int numClasses = 1000) : base("MobileNetV2")
    {
        // Width 1.0: every channel count is already a multiple of 8, so _make_divisible changes nothing.
        const long lastChannel = 1280;
        long inputChannel = 32;
        long[][] invertedResidualSetting =
        {
            // t, c, n, s
            new long[] { 1, 16, 1, 1 },
            new long[] { 6, 24, 2, 2 },
            new long[] { 6, 32, 3, 2 },
            new long[] { 6, 64, 4, 2 },
            new long[] { 6, 96, 3, 1 },
            new long[] { 6, 160, 3, 2 },
            new long[] { 6, 320, 1, 1 },
        };

        features = Sequential(Conv2dNormActivation(3, inputChannel, stride: 2));
        foreach (var setting in invertedResidualSetting)
        {
            long t = setting[0], c = setting[1], n = setting[2], s = setting[3];
            for (var i = 0; i < n; i++)
            {
                features.append(new InvertedResidual(inputChannel, c, i == 0 ? s : 1, t));
                inputChannel = c;
            }
        }
        features.append(Conv2dNormActivation(inputChannel, lastChannel, kernelSize: 1));
        classifier = Sequential(Dropout(0.2), Linear(lastChannel, numClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = features.forward(x);
        x = functional.adaptive_avg_pool2d(x, (1, 1));
        return classifier.forward(x.flatten(1));
    }
}
