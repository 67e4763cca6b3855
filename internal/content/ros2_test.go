package content

import "testing"

// The ROS 2 lesson's block runs in the ros2 container environment.
func TestROS2LessonRunsInTheROS2Environment(t *testing.T) {
	c, problems, err := Load("../../content")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	b, ok := c.Block("ros2-pubsub", "ros2-pubsub")
	if !ok || b.Environment != EnvROS2 || b.Language != "python" || b.Timeout != 30 {
		t.Fatalf("block %+v (found %v)", b, ok)
	}
}
