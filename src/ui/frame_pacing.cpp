#include "ui/frame_pacing.h"

#include <algorithm>

namespace attnviz::ui {

int frameWaitMs(const FrameNeeds& needs, bool continuous) {
  if (continuous || needs.animating || needs.working || needs.since_input_s < kInputSettleSeconds) return 0;
  return needs.text_input ? kTextCursorWaitMs : kIdleWaitMs;
}

float flowOpacity(double since_input_s, bool continuous) {
  if (continuous) return 1.0f;
  const double left = kFlowSeconds + kFlowFadeSeconds - since_input_s;
  return float(std::clamp(left / kFlowFadeSeconds, 0.0, 1.0));
}

}  // namespace attnviz::ui
