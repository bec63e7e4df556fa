using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CnnGen.Benchmarks.HandWritten;

/// <summary>
/// ResNet-50 as a TorchSharp user writes it by hand, following torchvision's resnet.py (same module
/// names, so the same safetensors file loads into it): the baseline the generated class is measured against.
/// </summary>
public sealed class HandWrittenResNet50 : Module<Tensor, Tensor>
{
    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1, conv2, conv3;
        private readonly BatchNorm2d bn1, bn2, bn3;
        private readonly ReLU relu = ReLU(inplace: true);
        private readonly Sequential? downsample;

        public Bottleneck(long inplanes, long planes, long stride, bool project) : base("Bottleneck")
        {
            conv1 = Conv2d(inplanes, planes, 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            conv3 = Conv2d(planes, planes * 4, 1, bias: false);
            bn3 = BatchNorm2d(planes * 4);
            if (project) downsample = Sequential(Conv2d(inplanes, planes * 4, 1, stride: stride, bias: false), BatchNorm2d(planes * 4));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var identity = downsample is null ? x : downsample.forward(x);
            var output = relu.forward(bn1.forward(conv1.forward(x)));
            output = relu.forward(bn2.forward(conv2.forward(output)));
            output = bn3.forward(conv3.forward(output));
            return relu.forward(output + identity);
        }
    }

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu = ReLU(inplace: true);
    private readonly MaxPool2d maxpool = MaxPool2d(3, 2, 1);
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool = AdaptiveAvgPool2d(1);
    private readonly Linear fc;
    private long inplanes = 64;

    public HandWrittenResNet50(int numClasses = 1000) : base("ResNet50")
    {
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        layer1 = Layer(64, 3, 1);
        layer2 = Layer(128, 4, 2);
        layer3 = Layer(256, 6, 2);
        layer4 = Layer(512, 3, 2);
        fc = Linear(2048, numClasses);
        RegisterComponents();
    }

    private Sequential Layer(long planes, int blocks, long stride)
    {
        var layer = Sequential();
        for (var i = 0; i < blocks; i++)
        {
            var s = i == 0 ? stride : 1;
            layer.append(new Bottleneck(inplanes, planes, s, i == 0 && (s != 1 || inplanes != planes * 4)));
            inplanes = planes * 4;
        }
        return layer;
    }

    public override Tensor forward(Tensor x)
    {
        x = maxpool.forward(relu.forward(bn1.forward(conv1.forward(x))));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return fc.forward(avgpool.forward(x).flatten(1));
    }
}
