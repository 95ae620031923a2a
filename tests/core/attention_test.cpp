#include <gtest/gtest.h>

#include "core/attention.h"

TEST(Placeholder, Builds) { EXPECT_EQ(attnviz::kMinTemperature, 1e-3f); }
